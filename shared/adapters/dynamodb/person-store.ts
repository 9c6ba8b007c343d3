import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Loan } from '../../domain/loan.ts';
import type { Person, PersonRef } from '../../domain/person.ts';
import type { ApplicationRecord, Page, PageRequest, PersonLoan, PersonStore } from '../../ports/stores.ts';
import { batchGetAll, queryPage, type Tables } from './client.ts';
import { decode, stripKeys, type Item } from './codec.ts';
import { TABLE_KEY } from './cursor.ts';
import type { StoreKeys } from './key-families.ts';
import { ledgerFamilies, ledgerKeys } from './ledger-keys.ts';
import { headOf } from './loan-head.ts';
import { personOf, personRefOf } from './person-items.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import { fromItem } from './stores.ts';

/**
 * What the lookup of a person reads (docs/personal-data.md, matching one person): the person (S41),
 * a page of its loans and applications (S42), then those loans (S6) with their heads (L6) and those
 * applications (S10), each in one batch. Bounded by the page: at most `limit` of each.
 */
export class DynamoPersonStore implements PersonStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.borrower, stateFamilies.loan, stateFamilies.application, ledgerFamilies.loan], queries: [], writes: [] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async person(identityHash: string): Promise<Person> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.person(identityHash), ConsistentRead: true }));
    return personOf(identityHash, out.Item as Item | undefined);
  }

  async refsOfPerson(identityHash: string, request: PageRequest): Promise<Page<PersonRef>> {
    const partition = stateKeys.personPartition(identityHash);
    const page = await queryPage(
      this.doc,
      {
        TableName: this.tables.state,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':p': partition, ':r': stateKeys.personRefPrefix },
        ConsistentRead: true,
      },
      request,
      { attributes: TABLE_KEY, where: { pk: partition } },
    );
    return { items: page.items.map(personRefOf), cursor: page.cursor };
  }

  async loansOfPerson(loanIds: readonly string[]): Promise<PersonLoan[]> {
    if (loanIds.length === 0) return [];
    const [loanItems, headItems] = await Promise.all([
      batchGetAll(this.doc, this.tables.state, loanIds.map((loanId) => stateKeys.loan(loanId))),
      batchGetAll(this.doc, this.tables.ledger, loanIds.map((loanId) => ledgerKeys.head(loanId))),
    ]);
    const heads = new Map(headItems.map((item) => [String(item.loanId), item]));
    const loans = loanItems.map((item) => fromItem<Loan>(item)).filter((loan): loan is Loan => loan !== null);
    return loanIds.flatMap((loanId) => {
      const loan = loans.find((l) => l.loanId === loanId);
      if (loan === undefined) return [];
      const { ledger, positions } = headOf(loanId, heads.get(loanId));
      const principalOutstandingMinor = positions.reduce((n, p) => n + (p.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n), 0n);
      return [{ loan, principalOutstandingMinor, writtenOff: ledger.state?.writtenOff != null, compensated: ledger.state?.compensated === true }];
    });
  }

  async applicationsOfPerson(applicationIds: readonly string[]): Promise<ApplicationRecord[]> {
    if (applicationIds.length === 0) return [];
    const items = await batchGetAll(this.doc, this.tables.state, applicationIds.map((id) => stateKeys.application(id)));
    const byId = new Map(
      items.map((item) => {
        const { steps: _steps, disbursementTaskToken: _token, ...rest } = stripKeys(item);
        const record = decode<ApplicationRecord>(rest);
        return [record.application.applicationId, record] as const;
      }),
    );
    return applicationIds.flatMap((id) => byId.get(id) ?? []);
  }
}
