import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, ALL_STORES, createStores, type Tables } from '../../shared/adapters/dynamodb/index.ts';
import { addMonthProfit, type MonthProfitLine } from '../../shared/domain/profit.ts';
import { systemClock } from '../../shared/adapters/clock.ts';
import { getLenderProfit } from '../../functions/positions/use-case.ts';
import { findTables } from './ledger-verify.ts';

export interface ProfitOptions {
  readonly lenderId: string;
  readonly month: string;
  /** A DynamoDB endpoint (DynamoDB Local under `npm start`); AWS when absent. */
  readonly endpoint?: string;
  readonly tables?: Tables;
}

/** `colend profit <lenderId> --month YYYY-MM`: the same figures as `GET /v1/lenders/{id}/profit`, every page of it added up. */
export async function lenderProfitReport(options: ProfitOptions): Promise<MonthProfit> {
  const client = new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint } : {});
  try {
    const stores = createStores(createDocumentClient(client), options.tables ?? (await findTables(client)), ALL_STORES);
    const deps = { ...stores, clock: systemClock };
    const first = await getLenderProfit(deps, null, options.lenderId, options.month);
    let byCurrency = first.byCurrency;
    for (let cursor = first.cursor; cursor !== null; ) {
      const page = await getLenderProfit(deps, null, options.lenderId, options.month, cursor);
      byCurrency = addMonthProfit(byCurrency, page.byCurrency);
      cursor = page.cursor;
    }
    return { lenderId: first.lenderId, from: first.from, to: first.to, byCurrency };
  } finally {
    client.destroy();
  }
}

/** A lender's profit of a month, its pages added up. */
export interface MonthProfit {
  readonly lenderId: string;
  readonly from: string;
  readonly to: string;
  readonly byCurrency: readonly MonthProfitLine[];
}

/** Minor units as major units with two decimals: 123456 → "1234.56". */
function major(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

export function formatProfitReport(report: MonthProfit): string[] {
  const lines = [`profit of ${report.lenderId}, ${report.from} to ${report.to}`];
  if (report.byCurrency.length === 0) lines.push('no entries in the month');
  for (const p of report.byCurrency) {
    lines.push(
      `${p.currency}: interest ${major(p.interestIncomeMinor)}, penalty ${major(p.penaltyIncomeMinor)}, fees and spread ${major(p.feeIncomeMinor)}, ` +
        `guarantee fees ${major(p.guaranteeFeesMinor)}, service partner share ${major(p.servicePartnerShareMinor)}, fees paid ${major(p.feesPaidMinor)} (guarantee cost ${major(p.guaranteeCostMinor)}), losses ${major(p.lossesMinor)}, net ${major(p.netMinor)} (${p.entries} entries)`,
    );
  }
  return lines;
}
