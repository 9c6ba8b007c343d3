import { randomInt, randomUUID } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityCheckCharacter } from '../../shared/domain/personal-data.ts';
import { asked, submit, until, view } from './support/review.ts';
import { api, dynamodbEndpoint } from './support/stack.ts';
import { createWorld, lenderBody, loanBody, post, programBody, type World } from './support/world.ts';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');
const CJK = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂';

/** A person of this run alone, valid by every rule, so finding any of it in a table can only mean it leaked. */
function person() {
  const first17 = `310101${1960 + randomInt(40)}0${1 + randomInt(9)}1${randomInt(10)}${digits(3)}`;
  return {
    name: `欧阳${Array.from({ length: 3 }, () => CJK[randomInt(CJK.length)]).join('')}`,
    identityNumber: `${first17}${identityCheckCharacter(first17)}`,
    mobile: `139${digits(8)}`,
    repaymentAccountNumber: `6217${digits(15)}`,
  };
}

/** Every item of every table of DynamoDB Local, every attribute, as its wire text. */
async function everyItemText(): Promise<{ text: string; tables: number; items: number }> {
  const client = new DynamoDBClient({ endpoint: dynamodbEndpoint(), ...LOCAL });
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  let text = '';
  let items = 0;
  for (const table of TableNames) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
      text += JSON.stringify(page.Items ?? []);
      items += page.Items?.length ?? 0;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  client.destroy();
  return { text, tables: TableNames.length, items };
}

const masked = (p: ReturnType<typeof person>) => ({
  name: `欧${'*'.repeat(Array.from(p.name).length - 1)}`,
  identityNumber: `${p.identityNumber.slice(0, 6)}********${p.identityNumber.slice(-4)}`,
  mobile: `${p.mobile.slice(0, 3)}****${p.mobile.slice(-4)}`,
  repaymentAccountNumber: `****${p.repaymentAccountNumber.slice(-4)}`,
  visibility: 'MASKED',
});

let w: World;
let programId: string;
const loanPerson = person();
const applicantPerson = person();
const accountNumber = `6228${digits(15)}`;
const loanId = `LN-PII-${randomUUID().slice(0, 8)}`;
const applicationId = `APP-PII-${randomUUID().slice(0, 8)}`;
const lenderId = `PII_${randomUUID().slice(0, 8).toUpperCase()}`;

beforeAll(async () => {
  w = await createWorld();
  programId = `PII_${w.suffix}`;
  const program = await post('/v1/programs', w.tokens.lead, programBody({ ...w, programId }, { personalData: { entitledLenderIds: [w.bankA] } }));
  expect(program.status, program.text).toBe(201);
}, 60_000);

describe('personal data through the API of the local stack', () => {
  it('books a loan with it: the answer masked, the lead and the entitled partner see it in clear, others masked', async () => {
    const borrower = { borrowerId: `BR-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31', personalData: loanPerson };
    const booked = await post('/v1/loans', w.tokens.lead, loanBody({ ...w, programId }, loanId, { borrower }));
    expect(booked.status, booked.text).toBe(201);
    expect((booked.json as { borrower: unknown }).borrower).toEqual({ borrowerId: `BR-${loanId}`, type: 'INDIVIDUAL', region: 'CN-31', secured: false, personalData: masked(loanPerson) });
    const shown = async (token: string) => ((await api(`/v1/loans/${loanId}`, { token })).json as { borrower: { personalData: unknown } }).borrower.personalData;
    expect(await shown(w.tokens.lead)).toEqual({ ...loanPerson, visibility: 'CLEAR' });
    expect(await shown(w.tokens.bankA)).toEqual({ ...loanPerson, visibility: 'CLEAR' });
    expect(await shown(w.tokens.bankB)).toEqual(masked(loanPerson));
    expect(await shown(w.tokens.finance)).toEqual(masked(loanPerson));
  });

  it('takes an application with it through the joint review, an asked partner not entitled seeing it masked', async () => {
    await submit(w, programId, applicationId, { borrower: { borrowerId: `BR-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31', personalData: applicantPerson } });
    await until(w, applicationId, asked(w.bankB), 'partner B asked');
    const lead = (await view(w, applicationId)) as unknown as { application: { borrower: { personalData: unknown } } };
    expect(lead.application.borrower.personalData).toEqual({ ...applicantPerson, visibility: 'CLEAR' });
    const partner = (await view(w, applicationId, w.tokens.bankB)) as unknown as { application: { borrower: { personalData: unknown } } };
    expect(partner.application.borrower.personalData).toEqual(masked(applicantPerson));
  }, 30_000);

  it("registers a lender whose settlement account number only it and lead operations see in clear", async () => {
    const created = await post('/v1/lenders', w.tokens.lead, lenderBody(lenderId, ['PARTNER'], { settlementAccount: { bankName: 'Test Bank', accountName: 'Co-lending', accountNumber } }));
    expect(created.status, created.text).toBe(201);
    expect((created.json as { settlementAccount: { accountNumber: string } }).settlementAccount.accountNumber).toBe(`****${accountNumber.slice(-4)}`);
    const got = await api(`/v1/lenders/${lenderId}`, { token: w.tokens.lead });
    expect((got.json as { settlementAccount: { accountNumber: string } }).settlementAccount.accountNumber).toBe(accountNumber);
  });

  it('refuses a bad identity number with 400 naming the field and the rule, and books nothing', async () => {
    const bad = `${loanPerson.identityNumber.slice(0, 17)}${loanPerson.identityNumber.endsWith('0') ? '1' : '0'}`;
    const refusedLoan = `${loanId}-BAD`;
    const res = await post('/v1/loans', w.tokens.lead, loanBody({ ...w, programId }, refusedLoan, { borrower: { borrowerId: 'BR-BAD', type: 'INDIVIDUAL', region: 'CN-31', personalData: { identityNumber: bad } } }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'borrower.personalData.identityNumber', rule: 'identity-number-check-digit' } });
    expect(res.text).not.toContain(bad);
    expect((await api(`/v1/loans/${refusedLoan}`, { token: w.tokens.lead })).status).toBe(404);
  });

  it('looks the person of the booked loan up by its identity number, keeping no clear value: no idempotency record, an audit record of the hash', async () => {
    const res = await api('/v1/borrower-lookups', { method: 'POST', token: w.tokens.lead, body: { identityNumber: loanPerson.identityNumber } });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ borrowerIds: [`BR-${loanId}`], loans: [{ loanId, borrowerId: `BR-${loanId}`, principalOutstandingMinor: expect.any(String) }] });
    expect(res.text).not.toContain(loanPerson.identityNumber);
  });

  it('leaves none of the clear values anywhere in any attribute of any table', async () => {
    const { text, tables, items } = await everyItemText();
    expect(tables).toBeGreaterThanOrEqual(3);
    expect(items).toBeGreaterThan(0);
    // The scan reads what was written: the loan's and the application's ids are there.
    expect(text).toContain(loanId);
    expect(text).toContain(applicationId);
    for (const value of [...Object.values(loanPerson), ...Object.values(applicantPerson), accountNumber]) expect(text, value).not.toContain(value);
    // Nor the account number every lender of the world was registered with, in clear before.
    expect(text).not.toContain('6222000011112222');
  });
});
