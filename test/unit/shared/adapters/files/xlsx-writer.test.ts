import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xlsxCopy, xlsxCopyWriter } from '../../../../../shared/adapters/files/human-copies.ts';
import { sheetName, XlsxWriter, type XlsxWriterOptions } from '../../../../../shared/adapters/files/xlsx-writer.ts';

type Rows = readonly (readonly string[])[];

/** The workbook's bytes, its rows written in batches of `batch`. */
async function workbook(rows: Rows, options: Partial<XlsxWriterOptions> = {}, batch = 3): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const writer = new XlsxWriter(
    async (body) => {
      for await (const chunk of body) chunks.push(chunk);
    },
    { businessDate: '2026-03-02', sheetName: '贷款主文件 loan master', header: ['业务日期 business_date', '贷款编号 loan_id'], ...options },
  );
  for (let i = 0; i < rows.length; i += batch) await writer.write(rows.slice(i, i + batch));
  await writer.end();
  return Buffer.concat(chunks);
}

async function load(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb;
}

/** Each row of the sheet as texts, `width` cells wide ('' for a cell not written), rows 1 to `count`. */
function texts(ws: ExcelJS.Worksheet, count: number, width: number): string[][] {
  const rows: string[][] = [];
  for (let r = 1; r <= count; r += 1) {
    const row = ws.getRow(r);
    const cells: string[] = [];
    for (let c = 1; c <= width; c += 1) {
      const value = row.getCell(c).value;
      if (value !== null && typeof value !== 'string') throw new Error(`cell ${r}/${c} is not text: ${JSON.stringify(value)}`);
      cells.push(value ?? '');
    }
    rows.push(cells);
  }
  return rows;
}

/** The zip's entries, read from its central directory: name, stored CRC-32, sizes and the data inflated. */
function zipEntries(bytes: Buffer): { name: string; crc: number; size: number; flags: number; method: number; date: number; time: number; data: Buffer }[] {
  const end = bytes.length - 22;
  expect(bytes.readUInt32LE(end)).toBe(0x06054b50);
  const count = bytes.readUInt16LE(end + 10);
  const directorySize = bytes.readUInt32LE(end + 12);
  let at = bytes.readUInt32LE(end + 16);
  expect(at + directorySize).toBe(end);
  const entries = [];
  for (let i = 0; i < count; i += 1) {
    expect(bytes.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const compressed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
    const dataAt = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const descriptor = dataAt + compressed;
    expect(bytes.readUInt32LE(descriptor)).toBe(0x08074b50);
    expect(bytes.readUInt32LE(descriptor + 4)).toBe(bytes.readUInt32LE(at + 16));
    entries.push({
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
      flags: bytes.readUInt16LE(at + 8),
      method: bytes.readUInt16LE(at + 10),
      time: bytes.readUInt16LE(at + 12),
      date: bytes.readUInt16LE(at + 14),
      crc: bytes.readUInt32LE(at + 16),
      size: bytes.readUInt32LE(at + 24),
      data: zlib.inflateRawSync(bytes.subarray(dataAt, dataAt + compressed)),
    });
    at += 46 + nameLength + extra;
  }
  return entries;
}

const HEADER = ['业务日期 business_date', '贷款编号 loan_id'];

describe('XlsxWriter', () => {
  it('writes a sheet exceljs reads back: its name, the header frozen, every cell as text', async () => {
    const rows = [
      ['2026-03-02', 'L-0001'],
      ['2026-03-02', '张三 合作银行A'],
      ['a & b < c > d " e \' f', ' leading and trailing '],
      ['', 'first empty'],
      ['last empty', ''],
      ['tab\tline\nfeed\r\ncrlf', 'bell\u0007null\u0000esc\u001Bend'],
      ['\uFFFEnon\uFFFFchars\uD800lone', 'pair 😀 kept'],
      ['_x0041_ stays', '  '],
    ];
    const wb = await load(await workbook(rows));
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(['贷款主文件 loan master']);
    const ws = wb.worksheets[0]!;
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.rowCount).toBe(9);
    expect(texts(ws, 9, 2)).toEqual([
      HEADER,
      ['2026-03-02', 'L-0001'],
      ['2026-03-02', '张三 合作银行A'],
      ['a & b < c > d " e \' f', ' leading and trailing '],
      ['', 'first empty'],
      ['last empty', ''],
      ['tab\tline\nfeed\r\ncrlf', 'bellnullescend'],
      ['nonchars\u0000lone'.replace('\u0000', ''), 'pair 😀 kept'],
      ['_x0041_ stays', '  '],
    ]);
    expect(wb.creator).toBe('Colend');
    expect(wb.lastModifiedBy).toBe('Colend');
    expect(wb.created.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(wb.modified.toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('writes the header alone when no row comes', async () => {
    const wb = await load(await workbook([]));
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(1);
    expect(texts(ws, 1, 2)).toEqual([HEADER]);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('gives each cell its reference past column Z, and no cell to an empty field', async () => {
    const header = Array.from({ length: 30 }, (_, i) => `h${i + 1}`);
    const row = Array.from({ length: 30 }, (_, i) => (i % 7 === 3 ? '' : `v${i + 1}`));
    const bytes = await workbook([row], { header });
    const sheet = zipEntries(bytes).find((e) => e.name === 'xl/worksheets/sheet1.xml')!.data.toString('utf8');
    expect(sheet).toContain('<c r="Z2" t="inlineStr"><is><t>v26</t></is></c><c r="AA2" t="inlineStr"><is><t>v27</t></is></c><c r="AB2" t="inlineStr"><is><t>v28</t></is></c><c r="AC2"');
    expect(sheet).not.toContain('r="D2"');
    const ws = (await load(bytes)).worksheets[0]!;
    expect(texts(ws, 2, 30)).toEqual([header, row]);
    expect(ws.getCell('AD2').value).toBe('v30');
  });

  it('writes the escapes XML needs and keeps whitespace at the ends', async () => {
    const bytes = await workbook([['<a href="x">&</a>', ' x'], ['y\r', 'z']]);
    const sheet = zipEntries(bytes).find((e) => e.name === 'xl/worksheets/sheet1.xml')!.data.toString('utf8');
    expect(sheet).toContain(
      '<row r="2"><c r="A2" t="inlineStr"><is><t>&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;</t></is></c><c r="B2" t="inlineStr"><is><t xml:space="preserve"> x</t></is></c></row>' +
        '<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve">y&#13;</t></is></c><c r="B3" t="inlineStr"><is><t>z</t></is></c></row>',
    );
    expect(sheet).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    const dropped = zipEntries(await workbook([['\u0001 x\u0002', 'x']])).find((e) => e.name === 'xl/worksheets/sheet1.xml')!.data.toString('utf8');
    expect(dropped).toContain('<c r="A2" t="inlineStr"><is><t xml:space="preserve"> x</t></is></c>');
  });

  it('goes on in a new sheet when one is full, the header repeated and frozen, every row once in order', async () => {
    const rows = Array.from({ length: 13 }, (_, i) => [`2026-03-02`, `L-${String(i + 1).padStart(4, '0')}`]);
    const wb = await load(await workbook(rows, { rowsPerSheet: 5 }, 3));
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(['贷款主文件 loan master', '贷款主文件 loan master (2)', '贷款主文件 loan master (3)', '贷款主文件 loan master (4)']);
    const read: string[][] = [];
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      const sheet = texts(ws, ws.rowCount, 2);
      expect(sheet[0]).toEqual(HEADER);
      expect(sheet.length).toBeLessThanOrEqual(5);
      read.push(...sheet.slice(1));
    }
    expect(read).toEqual(rows);
    expect(wb.worksheets.map((ws) => ws.rowCount)).toEqual([5, 5, 5, 2]);
  });

  it('fills a sheet exactly without opening an empty one', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => ['d', `r${i}`]);
    const wb = await load(await workbook(rows, { rowsPerSheet: 5 }, 8));
    expect(wb.worksheets.map((ws) => ws.rowCount)).toEqual([5, 5]);
  });

  it('names the sheets in at most 31 characters', () => {
    expect(sheetName('贷款主文件 loan master', 1)).toBe('贷款主文件 loan master');
    expect(sheetName('a'.repeat(40), 1)).toBe('a'.repeat(31));
    expect(sheetName('a'.repeat(40), 2)).toBe(`${'a'.repeat(27)} (2)`);
    expect(sheetName('a'.repeat(30), 12)).toBe(`${'a'.repeat(26)} (12)`);
    expect(sheetName(`${'a'.repeat(26)}😀x`, 2)).toBe(`${'a'.repeat(26)} (2)`);
  });

  it('refuses a sheet name Excel refuses, and a bad row limit', () => {
    const sink = async () => undefined;
    for (const name of ['a/b', 'a[1]', 'q?', 'x:y', 'a*', 'b\\c', ' ']) {
      expect(() => new XlsxWriter(sink, { businessDate: '2026-03-02', sheetName: name, header: ['h'] })).toThrow(RangeError);
    }
    expect(() => new XlsxWriter(sink, { businessDate: '2026-03-02', sheetName: 's', header: ['h'], rowsPerSheet: 1 })).toThrow(RangeError);
    expect(() => new XlsxWriter(sink, { businessDate: '2026-03-02', sheetName: 's', header: ['h'], rowsPerSheet: 1_048_577 })).toThrow(RangeError);
  });

  it('gives the same bytes for the same rows and date, other bytes for another date', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ['2026-03-02', `L-${i}`]);
    const first = await workbook(rows);
    expect((await workbook(rows, {}, 7)).equals(first)).toBe(true);
    const other = await workbook(rows, { businessDate: '2026-03-03' });
    expect(other.equals(first)).toBe(false);
    expect(other.length).toBe(first.length);
  });

  it('writes a zip whose entries are deflated, dated the business date at 00:00, with the CRC-32 of their data', async () => {
    const bytes = await workbook([['2026-03-02', 'L-1']], { rowsPerSheet: 2 });
    const entries = zipEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual([
      'xl/worksheets/sheet1.xml',
      '[Content_Types].xml',
      '_rels/.rels',
      'docProps/app.xml',
      'docProps/core.xml',
      'xl/styles.xml',
      'xl/_rels/workbook.xml.rels',
      'xl/workbook.xml',
    ]);
    for (const entry of entries) {
      expect(entry.crc).toBe(zlib.crc32(entry.data));
      expect(entry.size).toBe(entry.data.length);
      expect(entry.flags).toBe(0x0008);
      expect(entry.method).toBe(8);
      expect(entry.time).toBe(0);
      expect(entry.date).toBe(((2026 - 1980) << 9) | (3 << 5) | 2);
    }
    const twoSheets = zipEntries(await workbook([['a', 'b'], ['c', 'd']], { rowsPerSheet: 2 })).map((e) => e.name);
    expect(twoSheets.slice(0, 2)).toEqual(['xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']);
    expect(twoSheets).toHaveLength(9);
  });

  it('reads back any table of strings, less the characters XML forbids', async () => {
    // eslint-disable-next-line no-control-regex -- the characters XML forbids
    const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
    const field = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\n', '\r', '&', '<', '"', '_', 'x', '0', 'A', '中', '\u0001', '\uD83D', '\uDE00', '\uFFFF'), maxLength: 10 }),
      fc.constantFrom('', ' padded ', '_x0041_', '1234.56', '合作银行A'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { maxLength: 12 }), fc.integer({ min: 2, max: 6 }), async (rows, rowsPerSheet) => {
        const header = ['h1', 'h2', 'h3'];
        const wb = await load(await workbook(rows, { header, rowsPerSheet }, 4));
        const read: string[][] = [];
        for (const ws of wb.worksheets) {
          const sheet = texts(ws, Math.min(rowsPerSheet, 1 + rows.length - read.length), 3);
          expect(sheet[0]).toEqual(header);
          read.push(...sheet.slice(1));
        }
        expect(read).toEqual(rows.map((row) => row.map((f) => f.replace(forbidden, ''))));
      }),
      { numRuns: 60 },
    );
  });

  it('waits while the store is behind, holding a few MiB whatever the rows', async () => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let stored = 0;
    const writer = new XlsxWriter(
      async (body) => {
        await released;
        for await (const chunk of body) stored += chunk.length;
      },
      { businessDate: '2026-03-02', sheetName: 's', header: ['h'] },
    );
    // Some 60 MiB of XML, about 18 MiB deflated: far more than the writer may hold.
    const rows = Array.from({ length: 2_000 }, () => [randomBytes(128).toString('hex').repeat(2)]);
    let batches = 0;
    const writing = (async () => {
      for (let i = 0; i < 60; i += 1) {
        await writer.write(rows);
        batches += 1;
      }
    })();
    // Until the writer stops taking rows: it must stop long before the 60 batches (1.1 MiB of XML each).
    for (let seen = -1; seen !== batches; ) {
      seen = batches;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(batches).toBeLessThan(15);
    release();
    await writing;
    await writer.end();
    expect(stored).toBeGreaterThan(15_000_000);
  });

  it('stops on abort: the store fails with the error', async () => {
    let failure: unknown = null;
    const writer = new XlsxWriter(
      async (body) => {
        try {
          for await (const chunk of body) void chunk;
        } catch (error) {
          failure = error;
          throw error;
        }
      },
      { businessDate: '2026-03-02', sheetName: 's', header: ['h'] },
    );
    await writer.write([['a'], ['b']]);
    await writer.abort(new Error('stopped'));
    expect(failure).toEqual(new Error('stopped'));
  });

  it('stops with the store\'s error when the store fails', async () => {
    const writer = new XlsxWriter(
      async (body) => {
        for await (const chunk of body) {
          void chunk;
          throw new Error('store down');
        }
      },
      { businessDate: '2026-03-02', sheetName: 's', header: ['h'] },
    );
    const rows = Array.from({ length: 20_000 }, (_, i) => [`row ${i} ${'x'.repeat(200)}`]);
    await expect((async () => {
      await writer.write(rows);
      await writer.end();
    })()).rejects.toThrow('store down');
  });
});

describe('the XLSX copy', () => {
  it('is the bilingual header and the rows, read back by exceljs', async () => {
    const copy = await xlsxCopy({ name: 'loan_master_20260302.txt', table: { header: ['business_date', 'loan_id'], rows: [['2026-03-02', 'L-1']] } }, '2026-03-02', '贷款主文件 loan master');
    expect(copy.name).toBe('loan_master_20260302.xlsx');
    const ws = (await load(copy.body)).getWorksheet('贷款主文件 loan master')!;
    expect(texts(ws, 2, 2)).toEqual([['业务日期 business_date', '借据号 loan_id'], ['2026-03-02', 'L-1']]);
  });

  it('writes rows as they come, yielding between batches', async () => {
    const chunks: Uint8Array[] = [];
    const copy = xlsxCopyWriter({ prefix: 'loan_master', header: ['business_date', 'loan_id'] }, '2026-03-02', 'loans', async (body) => {
      for await (const chunk of body) chunks.push(chunk);
    });
    const rows = Array.from({ length: 5_000 }, (_, i) => ['2026-03-02', `L-${i}`]);
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 0);
    await copy.write(rows);
    clearInterval(timer);
    await copy.end();
    expect(ticks).toBeGreaterThan(0);
    const ws = (await load(Buffer.concat(chunks))).worksheets[0]!;
    expect(ws.rowCount).toBe(5_001);
    expect(ws.getCell('B5001').value).toBe('L-4999');
  });

  it('yields every 2,000 rows however the rows are batched', async () => {
    const copy = xlsxCopyWriter({ prefix: 'loan_master', header: ['business_date', 'loan_id'] }, '2026-03-02', 'loans', async (body) => {
      for await (const chunk of body) void chunk;
    });
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 0);
    const started = ticks;
    for (let i = 0; i < 4_000; i += 1) await copy.write([['2026-03-02', `L-${i}`]]);
    clearInterval(timer);
    await copy.end();
    expect(ticks).toBeGreaterThan(started);
  });
});
