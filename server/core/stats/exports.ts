import type { StatsTable } from './present.js';

/**
 * Exports of the same tables the page shows, suppressed cells included as "<N" text: nothing is
 * in a file that was not on the screen. CSV is long format (table, row, column, value) with a
 * BOM so that Excel reads the Chinese labels, a table's note on a line with empty row and column;
 * XLSX has one sheet per table laid out as on the page, the note under its description.
 */
export function statsCsv(tables: readonly StatsTable[], header: readonly [string, string, string, string]): string {
  const lines = [header.map(csvField).join(',')];
  for (const table of tables) {
    // A note (estimated medians) goes with its table, as a line of its own with no row or column.
    if (table.note) lines.push([table.title, '', '', table.note].map(csvField).join(','));
    for (const row of table.rows) {
      row.cells.forEach((cell, i) => lines.push([table.title, row.label, table.columns[i]!, cell.text].map(csvField).join(',')));
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** Quotes a field, and defuses a leading = + - @ so no spreadsheet runs it as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function statsXlsx(tables: readonly StatsTable[], meta: { title: string; lines: readonly string[] }): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  book.creator = 'ParcelGuard';
  const cover = book.addWorksheet(sheetName(meta.title, 0));
  cover.addRow([meta.title]).font = { bold: true, size: 14 };
  for (const line of meta.lines) cover.addRow([line]);
  cover.getColumn(1).width = 80;
  tables.forEach((table, index) => {
    const sheet = book.addWorksheet(sheetName(table.title, index + 1));
    sheet.addRow([table.title]).font = { bold: true };
    sheet.addRow([table.description]);
    if (table.note) sheet.addRow([table.note]);
    sheet.addRow([table.corner, ...table.columns]).font = { bold: true };
    // A string value is never a formula in exceljs, whatever it starts with. Shown numbers stay numbers; suppressed and missing cells are text, exactly as on the page.
    for (const row of table.rows) sheet.addRow([row.label, ...row.cells.map((c) => (c.value !== null && !c.text.endsWith('%') ? c.value : c.text))]);
    sheet.getColumn(1).width = 36;
    for (let i = 2; i <= table.columns.length + 1; i++) sheet.getColumn(i).width = 16;
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** Excel sheet names: at most 31 characters, none of : \ / ? * [ ], unique. */
function sheetName(title: string, index: number): string {
  const clean = title.replace(/[:\\/?*[\]]/g, ' ').trim();
  return `${index + 1} ${clean}`.slice(0, 31);
}
