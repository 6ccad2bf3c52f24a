import type { ColumnType } from 'kysely';

/** Column shapes shared by every table: the drivers return Date for timestamps and bytes as Uint8Array. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Bytes = Uint8Array;
