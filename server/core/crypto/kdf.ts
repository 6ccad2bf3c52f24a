import { argon2id, hash, verify } from 'argon2';
import { CRYPTO_PARAMS, type Argon2Params } from './params.js';
import { randomBytes } from './random.js';
import { Semaphore } from './semaphore.js';

/** The two secrets derived from a reporter's receipt. */
export interface ReceiptKeys {
  /** Stored (unique) to find the report; useless for decryption. */
  lookupHash: Uint8Array;
  /** Wraps the reporter's private key; never stored. */
  kek: Uint8Array;
}

function assertParams(params: Argon2Params): void {
  const { memoryKiB, iterations, parallelism, maxConcurrent } = params;
  const ok = [memoryKiB, iterations, parallelism, maxConcurrent].every((n) => Number.isSafeInteger(n) && n >= 1);
  if (!ok || memoryKiB < 8 * parallelism) throw new RangeError('Invalid argon2 parameters');
}

/**
 * Passwords are NFC-normalised before hashing so that the same password
 * typed on different systems (composed vs decomposed accents, some IMEs)
 * derives the same KEK; otherwise a user could lock themselves out of their
 * own private key.
 */
function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

const RECEIPT = new RegExp(`^[0-9]{${CRYPTO_PARAMS.receiptDigits}}$`);

/**
 * Receipts are typed back by people: accept full-width digits, spaces and
 * dashes, but only the 16 digits themselves go into the derivation.
 * Returns null for anything that is not a receipt (for form validation).
 */
export function normaliseReceipt(receipt: string): string | null {
  const digits = receipt.normalize('NFKC').replace(/[\s-]+/g, '');
  return RECEIPT.test(digits) ? digits : null;
}

/**
 * Argon2id key derivation and password verification (the `argon2` package,
 * which runs in the libuv thread pool, off the event loop).
 *
 * Argon2id is memory-hard, so guessing passwords or receipts from a stolen
 * database costs the attacker memoryKiB per guess. Every computation goes
 * through one semaphore of size maxConcurrent, queued FIFO, so the server's
 * argon2 memory is bounded by memoryKiB × maxConcurrent under any load.
 */
/**
 * The cost of one argon2id derivation, stored next to everything derived from it (a staff KEK, the
 * receipt keys of an installation) as `argon2id:m=<KiB>,t=<iterations>,p=<lanes>`. Changing the
 * configured cost later must not change the keys of existing rows, or nobody could unlock them.
 */
export type KdfCost = { readonly memoryKiB: number; readonly iterations: number; readonly parallelism: number };

export function formatKdfCost(cost: KdfCost): string {
  return `argon2id:m=${cost.memoryKiB},t=${cost.iterations},p=${cost.parallelism}`;
}

export function parseKdfCost(text: string): KdfCost {
  const m = /^argon2id:m=(\d+),t=(\d+),p=(\d+)$/.exec(text);
  if (!m) throw new RangeError('Malformed argon2id cost');
  const cost = { memoryKiB: Number(m[1]), iterations: Number(m[2]), parallelism: Number(m[3]) };
  if (cost.memoryKiB < 1024 || cost.iterations < 1 || cost.parallelism < 1 || cost.parallelism > 16) {
    throw new RangeError('Out-of-range argon2id cost');
  }
  return cost;
}

/**
 * The argon2 package writes PHC parameters as `m=…,p=…,t=…`; the reference implementation and
 * libraries such as argon2-cffi and libsodium expect `m=…,t=…,p=…` and some reject any other order.
 */
export function standardPhcOrder(encoded: string): string {
  return encoded.replace(/^(\$argon2id\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$');
}

export class Kdf {
  readonly params: Readonly<Argon2Params>;
  readonly #semaphore: Semaphore;

  constructor(params: Argon2Params) {
    assertParams(params);
    this.params = Object.freeze({ ...params });
    this.#semaphore = new Semaphore(params.maxConcurrent);
  }

  /** The configured cost, in the stored form: record it next to every key derived with it. */
  currentCost(): string {
    return formatKdfCost(this.params);
  }

  /** A fresh 16-byte random salt (per-user KEK salt, installation receipt salt). */
  newSalt(): Uint8Array {
    return randomBytes(CRYPTO_PARAMS.saltBytes);
  }

  /**
   * KEK = argon2id(password, salt), 32 raw bytes; the key that wraps a staff
   * member's private key. Uses its own salt, separate from the login
   * verifier's, so the stored verifier reveals nothing about the KEK.
   */
  deriveKek(password: string, salt: Uint8Array, cost?: string): Promise<Uint8Array> {
    return this.#raw(normalisePassword(password), salt, CRYPTO_PARAMS.kekBytes, cost);
  }

  /**
   * Encoded argon2id login verifier (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with its own random
   * salt, parameters in the reference implementation's order so other libraries can read it.
   */
  async hashPassword(password: string): Promise<string> {
    return standardPhcOrder(await this.#limited(() => hash(normalisePassword(password), { type: argon2id, ...this.#costs() })));
  }

  /**
   * Check a password against an encoded verifier (constant-time comparison
   * inside argon2). Malformed verifiers return false rather than throwing.
   * Both parameter orders are read: verifiers stored before 2026-12 say `m=…,p=…,t=…`.
   */
  async verifyPassword(encoded: string, password: string): Promise<boolean> {
    try {
      return await this.#limited(() => verify(encoded, normalisePassword(password)));
    } catch {
      return false;
    }
  }

  /**
   * One argon2id call over the normalised receipt with the installation salt,
   * 64 bytes out: bytes 0–31 are the lookup hash (stored, unique), bytes 32–63
   * the KEK for the reporter's private key. Both come from the same expensive
   * call, so learning the lookup hash gives no shortcut to the KEK, and each
   * guess at a receipt costs a full argon2id computation.
   * Throws RangeError unless the receipt is 16 digits (spaces and dashes allowed).
   */
  async deriveReceiptKeys(receipt: string, installationSalt: Uint8Array, cost?: string): Promise<ReceiptKeys> {
    const digits = normaliseReceipt(receipt);
    if (digits === null) throw new RangeError(`A receipt is ${CRYPTO_PARAMS.receiptDigits} digits`);
    const out = await this.#raw(digits, installationSalt, CRYPTO_PARAMS.receiptDerivationBytes, cost);
    return { lookupHash: out.slice(0, 32), kek: out.slice(32, 64) };
  }

  /**
   * An employee's login lookup: argon2id over the normalised phone number with the installation's
   * secret lookup salt, 32 bytes. Stored (unique) to find the account; one derivation per guess,
   * so naming employees from a stolen database and secrets file costs one argon2id per phone number
   * tried instead of one HMAC.
   */
  deriveEmployeeLoginLookup(normalisedPhone: string, salt: Uint8Array, cost?: string): Promise<Uint8Array> {
    return this.#raw(normalisedPhone, salt, CRYPTO_PARAMS.loginLookupBytes, cost);
  }

  /**
   * The single place where argon2 is invoked, always under the semaphore.
   * Protected so tests can count the computations actually in flight.
   */
  protected runArgon2<T>(compute: () => Promise<T>): Promise<T> {
    return compute();
  }

  #limited<T>(compute: () => Promise<T>): Promise<T> {
    return this.#semaphore.run(() => this.runArgon2(compute));
  }

  /** `cost` (stored form) overrides the configured cost, for keys derived before a change. */
  async #raw(secret: string, salt: Uint8Array, length: number, cost?: string): Promise<Uint8Array> {
    if (salt.byteLength < CRYPTO_PARAMS.saltBytes) throw new RangeError(`Salt must be at least ${CRYPTO_PARAMS.saltBytes} bytes`);
    const saltBuffer = Buffer.from(salt);
    const costs = cost ? this.#costsOf(parseKdfCost(cost)) : this.#costs();
    const out = await this.#limited(() =>
      hash(secret, { type: argon2id, raw: true, hashLength: length, salt: saltBuffer, ...costs }),
    );
    const bytes = new Uint8Array(out);
    out.fill(0);
    return bytes;
  }

  #costs(): { memoryCost: number; timeCost: number; parallelism: number } {
    return this.#costsOf(this.params);
  }

  #costsOf({ memoryKiB, iterations, parallelism }: KdfCost): { memoryCost: number; timeCost: number; parallelism: number } {
    return { memoryCost: memoryKiB, timeCost: iterations, parallelism };
  }
}
