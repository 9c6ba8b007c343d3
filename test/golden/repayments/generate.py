#!/usr/bin/env python3
"""Golden repayment splits, computed from docs/repayments.md alone.

An independent implementation of the documented rules: the waterfall, the division of each
component among lenders (remainder rules, caps, the floor at zero), LENDER_RATE entitlements with
the day counts, suspense, the journal entry's legs per book and the reversal. Arithmetic with the
standard library's decimal module, dates with datetime, nothing shared with the engine. Writes one
JSON file per case next to this script (amounts as decimal strings of minor units).

    python3 test/golden/repayments/generate.py
"""

import datetime
import json
import pathlib
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

HERE = pathlib.Path(__file__).resolve().parent
ROUNDING = {'HALF_UP': ROUND_HALF_UP, 'HALF_EVEN': ROUND_HALF_EVEN, 'DOWN': ROUND_DOWN}
WORKING_DIGITS = 200  # far more digits than any quotient here needs before its one rounding
DEFAULT_WATERFALL = ['PENALTY', 'OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST',
                     'CURRENT_PRINCIPAL', 'FEES']
FIELD = {
    'PENALTY': 'penaltyMinor',
    'OVERDUE_INTEREST': 'overdueInterestMinor',
    'OVERDUE_PRINCIPAL': 'overduePrincipalMinor',
    'CURRENT_INTEREST': 'currentInterestMinor',
    'CURRENT_PRINCIPAL': 'currentPrincipalMinor',
    'FEES': 'feesMinor',
}
DUES_FIELDS = [FIELD[c] for c in DEFAULT_WATERFALL]

PATHS = set()  # which rules the goldens exercise, printed at the end


# --- exact arithmetic -----------------------------------------------------------------------

def quotient(numerator, denominator):
    """numerator / denominator as a Decimal carrying WORKING_DIGITS significant digits."""
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        return Decimal(numerator) / Decimal(denominator)


def rounded(value, mode):
    """A Decimal amount of minor units rounded to a whole number with the named mode."""
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS + 50
        return int(value.quantize(Decimal(1), rounding=ROUNDING[mode]))


# --- day counts -----------------------------------------------------------------------------

def day_count(start_text, end_text, convention):
    """(days, basis) of [start, end)."""
    start = datetime.date.fromisoformat(start_text)
    end = datetime.date.fromisoformat(end_text)
    assert end >= start
    if convention == 'ACT/360':
        return (end - start).days, 360
    if convention == 'ACT/365':
        return (end - start).days, 365
    if convention == '30/360':
        d1 = 30 if start.day == 31 else start.day
        d2 = 30 if (end.day == 31 and d1 == 30) else end.day
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1), 360
    raise ValueError(convention)


# --- dividing an amount among lenders (section 2.1) -----------------------------------------

def divide(total, parts, rule):
    """parts: dicts with id, weight, priority, cap (None for no cap). Returns {id: amount}."""
    amounts = {p['id']: 0 for p in parts}
    if total == 0:
        return amounts
    sharing = [p for p in parts if p['weight'] > 0]
    assert sharing, 'nothing to divide by'
    left = total
    # Caps: a lender whose exact share of what is left reaches its cap gets the cap; repeat.
    while sharing:
        weight = sum(p['weight'] for p in sharing)
        reached = [p for p in sharing if p['cap'] is not None and left * p['weight'] >= p['cap'] * weight]
        if not reached:
            break
        PATHS.add('caps')
        for p in reached:
            amounts[p['id']] = p['cap']
        left -= sum(p['cap'] for p in reached)
        sharing = [p for p in sharing if p not in reached]
    if not sharing:
        assert left == 0
        return amounts
    weight = sum(p['weight'] for p in sharing)

    def exact(p):
        return quotient(left * p['weight'], weight)

    def remainder(p):
        # exact share - amount, times the common weight, so equal remainders compare equal exactly
        return left * p['weight'] - amounts[p['id']] * weight

    if rule['kind'] == 'LARGEST_REMAINDER':
        for p in sharing:
            amounts[p['id']] = rounded(exact(p), 'DOWN')
        leftover = left - sum(amounts[p['id']] for p in sharing)
        eligible = sorted((p for p in sharing if remainder(p) > 0),
                          key=lambda p: (-remainder(p), p['priority'], p['id']))
        assert leftover <= len(eligible)
        if leftover and len({remainder(p) for p in eligible[:leftover + 1]}) < leftover + 1:
            PATHS.add('largest-remainder-tie')
        for p in eligible[:leftover]:
            amounts[p['id']] += 1
        return amounts

    named = [p for p in sharing if p['id'] == rule['party']]
    if named:
        party = named[0]
    else:
        PATHS.add('party-fallback')
        party = sorted(sharing, key=lambda p: (-p['weight'], p['priority'], p['id']))[0]
    others = [p for p in sharing if p is not party]
    for p in others:
        amounts[p['id']] = rounded(exact(p), rule['mode'])
    rest = left - sum(amounts[p['id']] for p in others)
    if rest < 0:
        PATHS.add('floor')
        amounts[party['id']] = 0
        owed = -rest
        # Give back from the smallest remainder, then the higher priority number, then the higher id
        # (stable sorts, the last key applied first).
        givers = sorted(others, key=lambda p: p['id'], reverse=True)
        givers = sorted(givers, key=lambda p: p['priority'], reverse=True)
        givers = sorted(givers, key=remainder)
        while owed:
            moved = False
            for p in givers:
                if owed and amounts[p['id']] > 0:
                    amounts[p['id']] -= 1
                    owed -= 1
                    moved = True
            assert moved
    elif party['cap'] is not None and rest > party['cap']:
        PATHS.add('party-cap')
        amounts[party['id']] = party['cap']
        surplus = rest - party['cap']
        takers = sorted(others, key=lambda p: (-remainder(p), p['priority'], p['id']))
        while surplus:
            moved = False
            for p in takers:
                if surplus and (p['cap'] is None or amounts[p['id']] < p['cap']):
                    amounts[p['id']] += 1
                    surplus -= 1
                    moved = True
            assert moved
    else:
        amounts[party['id']] = rest
    return amounts


# --- the waterfall (section 1) --------------------------------------------------------------

def waterfall(amount, dues, order):
    assert amount > 0 and sorted(order) == sorted(DEFAULT_WATERFALL)
    covered = {f: 0 for f in DUES_FIELDS}
    left = amount
    for component in order:
        take = min(left, dues[FIELD[component]])
        covered[FIELD[component]] = take
        left -= take
    covered['excessMinor'] = left
    return covered


# --- the split (section 2) ------------------------------------------------------------------

def remainder_rule(terms):
    split = terms['split']
    if split['remainderRule'] == 'LARGEST_REMAINDER':
        return {'kind': 'LARGEST_REMAINDER'}
    party = split['roundingParty'] if split['roundingParty'] is not None else terms['leadLenderId']
    return {'kind': 'ROUNDING_PARTY', 'party': party, 'mode': terms['roundingMode']}


def entitlements_of(terms, holdings, period):
    """Each partner's outstanding x yield x days / basis, rounded once, less what it received."""
    days, basis = day_count(period['start'], period['end'], terms['dayCount'])
    result = {}
    for h in holdings:
        if h['role'] != 'PARTNER':
            result[h['lenderId']] = 0
            continue
        with localcontext() as ctx:
            ctx.prec = WORKING_DIGITS
            accrued = rounded(Decimal(h['outstandingPrincipalMinor']) * Decimal(h['yieldRate']) * days / basis,
                              terms['roundingMode'])
        result[h['lenderId']] = max(0, accrued - h.get('periodInterestReceivedMinor', 0))
    return result


def split_repayment(terms, holdings, covered, period):
    rule = remainder_rule(terms)
    lead = terms['leadLenderId']
    assert [h['lenderId'] for h in holdings if h['role'] == 'LEAD'] == [lead], 'exactly one LEAD: the program\'s lead'
    assert rule['kind'] == 'LARGEST_REMAINDER' or rule['party'] in [h['lenderId'] for h in holdings]
    outstanding = {h['lenderId']: h['outstandingPrincipalMinor'] for h in holdings}
    total_outstanding = sum(outstanding.values())

    def by_outstanding(capped):
        return [{'id': h['lenderId'], 'weight': h['outstandingPrincipalMinor'], 'priority': h['priority'],
                 'cap': h['outstandingPrincipalMinor'] if capped else None} for h in holdings]

    principal_total = covered['overduePrincipalMinor'] + covered['currentPrincipalMinor']
    assert principal_total <= total_outstanding
    principal = divide(principal_total, by_outstanding(True), rule)

    interest_total = covered['overdueInterestMinor'] + covered['currentInterestMinor']
    spread = 0
    entitlements = None
    if terms['split']['interestBasis'] == 'LENDER_RATE':
        entitlements = entitlements_of(terms, holdings, period)
        entitled = sum(entitlements.values())
        if interest_total >= entitled:
            PATHS.add('lender-rate-spread' if interest_total > entitled else 'lender-rate-exact')
            interest = dict(entitlements)
            spread = interest_total - entitled
        else:
            PATHS.add('lender-rate-shortfall')
            interest = divide(interest_total, [
                {'id': h['lenderId'], 'weight': entitlements[h['lenderId']], 'priority': h['priority'],
                 'cap': entitlements[h['lenderId']]} for h in holdings], rule)
    else:
        assert interest_total == 0 or total_outstanding > 0
        interest = divide(interest_total, by_outstanding(False), rule)

    if terms['split']['penalty'] == 'LEAD':
        penalty = {h['lenderId']: (covered['penaltyMinor'] if h['lenderId'] == lead else 0) for h in holdings}
    else:
        assert covered['penaltyMinor'] == 0 or total_outstanding > 0
        penalty = divide(covered['penaltyMinor'], by_outstanding(False), rule)

    fees = terms['split']['fees']
    fee_party = lead if fees == 'LEAD' else fees['party']

    per_lender = {}
    for h in holdings:
        lid = h['lenderId']
        per_lender[lid] = {
            'lenderId': lid,
            'principalMinor': principal[lid],
            'interestMinor': interest[lid],
            'penaltyMinor': penalty[lid],
            'feeMinor': covered['feesMinor'] if lid == fee_party else 0,
            'spreadMinor': spread if lid == lead else 0,
        }
        assert 0 <= principal[lid] <= outstanding[lid]
    if fee_party not in per_lender:
        PATHS.add('fee-party-holds-nothing')
        per_lender[fee_party] = {'lenderId': fee_party, 'principalMinor': 0, 'interestMinor': 0, 'penaltyMinor': 0,
                                 'feeMinor': covered['feesMinor'], 'spreadMinor': 0}
    rows = [per_lender[lid] for lid in sorted(per_lender)]
    paid = sum(covered[f] for f in DUES_FIELDS) + covered['excessMinor']
    booked = sum(r['principalMinor'] + r['interestMinor'] + r['penaltyMinor'] + r['feeMinor'] + r['spreadMinor']
                 for r in rows)
    assert booked + covered['excessMinor'] == paid
    for r in rows:
        assert all(r[k] >= 0 for k in r if k != 'lenderId')
    return {'perLender': rows, 'suspenseMinor': covered['excessMinor'], 'paidMinor': paid,
            'entitlements': entitlements}


# --- the journal entry (sections 3 and 4) ---------------------------------------------------

def leg(lender, account, side, amount, counterparty=None):
    return {'lenderId': lender, 'account': account, 'side': side, 'amountMinor': amount, 'counterparty': counterparty}


def repayment_entry(payment, terms, result):
    legs = []
    for r in result['perLender']:
        lid = r['lenderId']
        income = r['feeMinor'] + r['spreadMinor']
        received = r['principalMinor'] + r['interestMinor'] + r['penaltyMinor'] + income
        candidates = [
            leg(lid, 'SETTLEMENT_CLEARING', 'DEBIT', received, 'ESCROW'),
            leg(lid, 'PRINCIPAL_RECEIVABLE', 'CREDIT', r['principalMinor']),
            leg(lid, 'INTEREST_INCOME', 'CREDIT', r['interestMinor']),
            leg(lid, 'PENALTY_INCOME', 'CREDIT', r['penaltyMinor']),
            leg(lid, 'FEE_INCOME', 'CREDIT', income),
        ]
        if lid == terms['leadLenderId']:
            candidates += [
                leg(lid, 'SETTLEMENT_CLEARING', 'DEBIT', result['suspenseMinor'], 'ESCROW'),
                leg(lid, 'SUSPENSE', 'CREDIT', result['suspenseMinor']),
            ]
        legs += [c for c in candidates if c['amountMinor'] != 0]
    check_balanced(legs)
    assert sum(l['amountMinor'] for l in legs if l['account'] == 'SETTLEMENT_CLEARING') == result['paidMinor']
    return {
        'entryId': f"REPAYMENT#{payment['repaymentId']}",
        'eventType': 'REPAYMENT',
        'eventId': payment['repaymentId'],
        'loanId': payment['loanId'],
        'currency': payment['currency'],
        'businessDate': payment['valueDate'],
        'legs': legs,
        'createdAt': payment['now'],
    }


def reversal_entry(original, reversal):
    legs = [dict(l, side='CREDIT' if l['side'] == 'DEBIT' else 'DEBIT') for l in original['legs']]
    check_balanced(legs)
    return {
        'entryId': f"REVERSAL#{reversal['reversalId']}",
        'eventType': 'REVERSAL',
        'eventId': reversal['reversalId'],
        'loanId': original['loanId'],
        'currency': original['currency'],
        'businessDate': reversal.get('businessDate', original['businessDate']),
        'legs': legs,
        'createdAt': reversal['now'],
        'reverses': original['entryId'],
    }


def check_balanced(legs):
    books = {}
    for l in legs:
        assert l['amountMinor'] > 0
        signed = l['amountMinor'] if l['side'] == 'DEBIT' else -l['amountMinor']
        books[l['lenderId']] = books.get(l['lenderId'], 0) + signed
    assert all(v == 0 for v in books.values()), books


# --- cases ----------------------------------------------------------------------------------

def terms_of(basis='PRO_RATA', penalty='PRO_RATA', fees='LEAD', rule='ROUNDING_PARTY', party=None,
             day_count_name='ACT/360', mode='HALF_UP', order=None, lead='LEAD'):
    return {
        'leadLenderId': lead,
        'split': {'interestBasis': basis, 'penalty': penalty, 'fees': fees, 'remainderRule': rule,
                  'roundingParty': party},
        'dayCount': day_count_name,
        'roundingMode': mode,
        'waterfall': order or DEFAULT_WATERFALL,
    }


def holding(lender, role, outstanding, priority, rate=None, received=None):
    h = {'lenderId': lender, 'role': role, 'outstandingPrincipalMinor': outstanding, 'yieldRate': rate,
         'priority': priority}
    if received is not None:
        h['periodInterestReceivedMinor'] = received
    return h


def three(lead=4_000_000, a=3_000_000, b=3_000_000):
    """The lead 40%, BANK-A 30% at 6.5%, BANK-B 30% at 7.25% of 100,000.00 (listed out of id order)."""
    return [holding('LEAD', 'LEAD', lead, 0), holding('BANK-B', 'PARTNER', b, 2, '0.0725'),
            holding('BANK-A', 'PARTNER', a, 1, '0.065')]


def dues(penalty=0, overdue_interest=0, overdue_principal=0, interest=0, principal=0, fees=0):
    return {'penaltyMinor': penalty, 'overdueInterestMinor': overdue_interest,
            'overduePrincipalMinor': overdue_principal, 'currentInterestMinor': interest,
            'currentPrincipalMinor': principal, 'feesMinor': fees}


INSTALMENT = dues(interest=100_000, principal=833_333, fees=2_000)  # 1,000.00 + 8,333.33 + 20.00
OVERDUE = dues(penalty=5_000, overdue_interest=30_000, overdue_principal=100_000, interest=100_000,
               principal=833_333, fees=2_000)
PERIOD = {'start': '2025-03-15', 'end': '2025-04-15'}  # 31 days


def case(name, description, terms, holdings, due, amount, period=None, currency='CNY', reversal=None,
         value_date='2025-04-15'):
    return {
        'name': name, 'description': description, 'terms': terms, 'holdings': holdings, 'period': period,
        'dues': due,
        'payment': {'loanId': 'LOAN-0001', 'repaymentId': f'RP-{name}', 'valueDate': value_date,
                    'currency': currency, 'amountMinor': amount, 'now': '2025-04-15T09:30:00.000Z'},
        'reversal': reversal,
    }


def equal(count, outstanding, rate=None, lead_priority=0):
    """A lead L0 and partners L1.. with equal outstanding principal and priorities 0, 1, 2, ..."""
    return [holding('L0', 'LEAD', outstanding, lead_priority)] + [
        holding(f'L{i}', 'PARTNER', outstanding, i, rate) for i in range(1, count)]


REVERSE = {'reversalId': 'RV-1', 'now': '2025-04-16T08:00:00.000Z'}
LR = dict(basis='LENDER_RATE')

CASES = [
    # full instalments: each interest basis and day count
    case('pro-rata-full-instalment', 'a full instalment, interest pro rata 4:3:3, ROUNDING_PARTY to the lead, HALF_UP',
         terms_of(), three(), INSTALMENT, 935_333, PERIOD),
    case('lender-rate-full-instalment-act360', 'the worked example: each bank its own yield over 31 days ACT/360, '
         'the lead the rest as spread', terms_of(**LR), three(), INSTALMENT, 935_333, PERIOD),
    case('lender-rate-full-instalment-act365', 'the same under ACT/365',
         terms_of(day_count_name='ACT/365', **LR), three(), INSTALMENT, 935_333, PERIOD),
    case('lender-rate-full-instalment-30-360', 'the same under 30/360 over 31 January to 28 February (28 days)',
         terms_of(day_count_name='30/360', **LR), three(), INSTALMENT, 935_333,
         {'start': '2025-01-31', 'end': '2025-02-28'}, value_date='2025-02-28'),
    case('lender-rate-30-360-month-ends', '30/360 from 31 March to 31 May: both 31sts count as 30, so 60 days',
         terms_of(day_count_name='30/360', mode='HALF_EVEN', **LR), three(), INSTALMENT, 935_333,
         {'start': '2025-03-31', 'end': '2025-05-31'}, value_date='2025-05-31'),
    case('lender-rate-act365-leap-year', 'ACT/365 over a period holding 29 February 2024 (31 days), DOWN',
         terms_of(day_count_name='ACT/365', mode='DOWN', **LR), three(), INSTALMENT, 935_333,
         {'start': '2024-02-15', 'end': '2024-03-17'}, value_date='2024-03-17'),
    case('lender-rate-act360-vs-365-long-period', 'a 92-day period under ACT/360 on 1,000,000.00',
         terms_of(**LR), three(40_000_000, 30_000_000, 30_000_000), dues(interest=3_000_000, principal=0), 3_000_000,
         {'start': '2025-01-01', 'end': '2025-04-03'}),
    # LENDER_RATE: paid equal to and below the entitlements
    case('lender-rate-interest-equals-entitlements', 'interest paid exactly the partners\' entitlements: no spread',
         terms_of(**LR), three(), dues(interest=35_521, principal=833_333), 868_854, PERIOD),
    case('lender-rate-shortfall-rounding-party', 'only 100.00 of interest: split 16,792 : 18,729 between the banks; '
         'the lead has weight 0, so BANK-B (larger) takes the remainder',
         terms_of(**LR), three(), INSTALMENT, 10_000, PERIOD),
    case('lender-rate-shortfall-named-partner-half-even', 'a shortfall with BANK-A as rounding party, HALF_EVEN',
         terms_of(party='BANK-A', mode='HALF_EVEN', **LR), three(), INSTALMENT, 20_001, PERIOD),
    case('lender-rate-shortfall-largest-remainder', 'a shortfall under LARGEST_REMAINDER',
         terms_of(rule='LARGEST_REMAINDER', **LR), three(), INSTALMENT, 20_001, PERIOD),
    case('lender-rate-shortfall-entitlement-caps', 'three partners entitled to 1 fen each and 2 fen paid, DOWN, '
         'P3 rounding party: P3 would take 2 fen, above its entitlement, so its surplus goes to P1',
         terms_of(party='P3', mode='DOWN', **LR),
         [holding('LEAD', 'LEAD', 100_000, 0)] + [holding(f'P{i}', 'PARTNER', 36_000, i, '0.01') for i in (1, 2, 3)],
         dues(interest=2), 2, {'start': '2025-04-14', 'end': '2025-04-15'}),
    case('lender-rate-second-partial-payment', 'a second payment of the period: BANK-A already received 100.00, '
         'BANK-B 87.29; what is left of each entitlement first, then spread',
         terms_of(**LR), [holding('LEAD', 'LEAD', 4_000_000, 0),
                          holding('BANK-A', 'PARTNER', 3_000_000, 1, '0.065', received=10_000),
                          holding('BANK-B', 'PARTNER', 3_000_000, 2, '0.0725', received=8_729)],
         dues(interest=81_271, principal=833_333, fees=2_000), 916_604, PERIOD),
    case('lender-rate-received-above-entitlement', 'a partner that already received more than its entitlement is '
         'entitled to nothing more', terms_of(**LR),
         [holding('LEAD', 'LEAD', 4_000_000, 0), holding('BANK-A', 'PARTNER', 3_000_000, 1, '0.065', received=20_000),
          holding('BANK-B', 'PARTNER', 3_000_000, 2, '0.0725')], dues(interest=50_000), 50_000, PERIOD),
    case('lender-rate-partner-repaid', 'a partner with nothing outstanding: no entitlement, no principal',
         terms_of(**LR), three(a=0), dues(interest=70_000, principal=583_333), 653_333, PERIOD),
    case('lender-rate-zero-day-period', 'a period of zero days: no entitlement, all interest is spread',
         terms_of(**LR), three(), dues(interest=1_234), 1_234, {'start': '2025-04-15', 'end': '2025-04-15'}),
    case('lender-rate-five-lenders-half-even', 'five lenders, four partners at different yields, HALF_EVEN',
         terms_of(mode='HALF_EVEN', **LR),
         [holding('LEAD', 'LEAD', 2_000_001, 0), holding('P1', 'PARTNER', 2_000_000, 1, '0.05'),
          holding('P2', 'PARTNER', 1_999_999, 2, '0.0555'), holding('P3', 'PARTNER', 2_000_000, 3, '0.06125'),
          holding('P4', 'PARTNER', 2_000_000, 4, '0.07')], INSTALMENT, 935_333, PERIOD),
    # partial payments ending inside each waterfall component
    case('partial-in-penalty', 'a payment that covers only part of the penalty', terms_of(), three(), OVERDUE, 3_001,
         PERIOD),
    case('partial-in-overdue-interest', 'penalty paid, overdue interest in part', terms_of(), three(), OVERDUE, 20_000,
         PERIOD),
    case('partial-in-overdue-principal', 'penalty and overdue interest paid, overdue principal in part',
         terms_of(), three(), OVERDUE, 100_001, PERIOD),
    case('partial-in-current-interest', 'all overdue paid, current interest in part: 450.00 of interest against '
         'entitlements over the two unpaid periods (LENDER_RATE shortfall)',
         terms_of(**LR), three(), OVERDUE, 150_000, {'start': '2025-02-15', 'end': '2025-04-15'}),
    case('partial-in-current-principal', 'everything but part of the current principal and the fees',
         terms_of(), three(), OVERDUE, 600_000, PERIOD),
    case('partial-in-fees', 'everything but part of the fees', terms_of(), three(), OVERDUE, 1_069_333, PERIOD),
    # overdue with penalty, overpayment, suspense
    case('overdue-penalty-pro-rata', 'an overdue payment paying everything, penalty pro rata',
         terms_of(), three(), OVERDUE, 1_070_333, PERIOD),
    case('overdue-penalty-to-lead', 'the same with the penalty all to the lead, LENDER_RATE over 61 days',
         terms_of(penalty='LEAD', **LR), three(), OVERDUE, 1_070_333, {'start': '2025-02-13', 'end': '2025-04-15'}),
    case('overpayment-to-suspense', 'a payment 50.00 above every due: the excess held in suspense in the lead\'s book',
         terms_of(**LR), three(), INSTALMENT, 940_333, PERIOD),
    case('nothing-due-all-suspense', 'a payment with nothing due goes wholly to suspense', terms_of(), three(), dues(),
         12_345, PERIOD),
    # fees
    case('fees-to-partner', 'fees to a named party that holds part of the loan (BANK-A)',
         terms_of(fees={'party': 'BANK-A'}), three(), INSTALMENT, 935_333, PERIOD),
    case('fees-to-party-holding-nothing', 'fees to a service partner that funds nothing: it appears with its fee only',
         terms_of(fees={'party': 'SERVICE-CO'}, **LR), three(), INSTALMENT, 935_333, PERIOD),
    # remainder rules, rounding modes, ties, floor and caps
    case('rounding-party-half-up-1-fen', '1 fen of principal among three equal lenders: each share 1/3, the lead takes it',
         terms_of(lead='L0'), equal(3, 1_000_000), dues(principal=1), 1),
    case('rounding-party-half-up-tie', '5 fen between two equal lenders: 2.5 rounds up to 3 for the partner',
         terms_of(lead='L0'), equal(2, 500_000), dues(principal=5, interest=7), 12),
    case('rounding-party-half-even-tie', 'the same under HALF_EVEN: 2.5 rounds to 2, 3.5 to 4',
         terms_of(mode='HALF_EVEN', lead='L0'), equal(2, 500_000), dues(principal=5, interest=7), 12),
    case('rounding-party-down', 'DOWN: partners rounded toward zero, the lead takes the remainder',
         terms_of(mode='DOWN'), three(4_000_001, 2_999_999, 3_000_000), INSTALMENT, 935_333, PERIOD),
    case('rounding-party-floor-half-up', 'four equal parts of 2 fen under HALF_UP overshoot: the lead gets 0 and one '
         'partner gives back 1 fen (higher priority number first)', terms_of(lead='L0'), equal(4, 250_000),
         dues(interest=2), 2),
    case('rounding-party-cap-down', 'the lead holds 1 fen; DOWN leaves it 2 fen of principal, above its cap: the '
         'surplus goes to the partner first in tie-break order',
         terms_of(mode='DOWN'), [holding('LEAD', 'LEAD', 1, 0), holding('BANK-A', 'PARTNER', 3, 1, '0.06'),
                                 holding('BANK-B', 'PARTNER', 3, 2, '0.06')], dues(principal=6), 6),
    case('largest-remainder-1-fen', '1 fen under LARGEST_REMAINDER goes to the largest remainder (the lead, 40%)',
         terms_of(rule='LARGEST_REMAINDER'), three(), dues(principal=1), 1),
    case('largest-remainder-ties-priority', '2 fen among three equal lenders: equal remainders, lower priority first',
         terms_of(rule='LARGEST_REMAINDER', lead='L0'), [holding('L0', 'LEAD', 1_000, 2), holding('L1', 'PARTNER', 1_000, 0),
                                               holding('L2', 'PARTNER', 1_000, 1)], dues(principal=2, interest=1), 3),
    case('largest-remainder-ties-id', 'equal remainders and equal priorities: the lower id wins',
         terms_of(rule='LARGEST_REMAINDER'), [holding('LEAD', 'LEAD', 700, 1), holding('BANK-C', 'PARTNER', 700, 1),
                                               holding('BANK-A', 'PARTNER', 700, 1)], dues(principal=1, interest=2), 3),
    case('largest-remainder-instalment', 'a full instalment under LARGEST_REMAINDER, PRO_RATA',
         terms_of(rule='LARGEST_REMAINDER'), three(4_000_001, 2_999_999, 3_000_000), INSTALMENT, 935_333, PERIOD),
    # lender counts and outstanding
    case('two-lenders', 'two lenders 70 : 30', terms_of(),
         [holding('LEAD', 'LEAD', 7_000_000, 0), holding('BANK-A', 'PARTNER', 3_000_000, 1, '0.06')],
         INSTALMENT, 935_333, PERIOD),
    case('four-lenders-half-even', 'four lenders, HALF_EVEN, penalty pro rata', terms_of(mode='HALF_EVEN'),
         [holding('LEAD', 'LEAD', 3_333_334, 0), holding('P1', 'PARTNER', 2_222_222, 1),
          holding('P2', 'PARTNER', 2_222_222, 2), holding('P3', 'PARTNER', 2_222_222, 3)], OVERDUE, 1_070_333, PERIOD),
    case('five-lenders-down', 'five lenders under DOWN', terms_of(mode='DOWN', lead='L0'), equal(5, 1_999_999), OVERDUE, 1_070_333,
         PERIOD),
    case('lender-with-zero-outstanding', 'BANK-A repaid in full earlier: nothing of principal, interest or penalty',
         terms_of(), three(a=0), OVERDUE, 1_070_333, PERIOD),
    case('final-payoff-caps-bind', 'the final payment repays every lender exactly its outstanding principal',
         terms_of(), three(1_234_567, 987_654, 1), dues(interest=12_345, principal=2_222_222), 2_234_567, PERIOD),
    case('final-payoff-lender-rate-largest-remainder', 'a final payoff under LENDER_RATE and LARGEST_REMAINDER',
         terms_of(rule='LARGEST_REMAINDER', **LR), three(333_334, 333_333, 333_333),
         dues(interest=9_000, principal=1_000_000, fees=500), 1_009_500, PERIOD),
    # other settings
    case('custom-waterfall', 'a program that takes fees and current principal first',
         terms_of(order=['FEES', 'CURRENT_PRINCIPAL', 'CURRENT_INTEREST', 'OVERDUE_PRINCIPAL', 'OVERDUE_INTEREST',
                         'PENALTY']), three(), OVERDUE, 900_000, PERIOD),
    case('large-amounts-inr', '10^12 paise outstanding, INR, ACT/365 LENDER_RATE',
         terms_of(day_count_name='ACT/365', **LR), three(400_000_000_000, 300_000_000_000, 300_000_000_001),
         dues(interest=1_000_000_000, principal=83_333_333_333, fees=1), 84_333_333_334, PERIOD, currency='INR'),
    # reversals
    case('reversal-of-instalment', 'a full LENDER_RATE instalment and its reversal the next day',
         terms_of(**LR), three(), INSTALMENT, 935_333, PERIOD,
         reversal=dict(REVERSE, businessDate='2025-04-16')),
    case('reversal-of-overpayment', 'an overdue overpayment with penalty and suspense, reversed on the same date',
         terms_of(fees={'party': 'SERVICE-CO'}), three(), OVERDUE, 1_100_000, PERIOD, reversal=REVERSE),
]


def main():
    for old in HERE.glob('*.json'):
        old.unlink()
    names = set()
    for spec in CASES:
        assert spec['name'] not in names, spec['name']
        names.add(spec['name'])
        terms = spec['terms']
        covered = waterfall(spec['payment']['amountMinor'], spec['dues'], terms['waterfall'])
        result = split_repayment(terms, spec['holdings'], covered, spec['period'])
        entry = repayment_entry(spec['payment'], terms, result)
        expected = {
            'covered': covered,
            'perLender': result['perLender'],
            'suspenseMinor': result['suspenseMinor'],
            'paidMinor': result['paidMinor'],
            'entry': entry,
        }
        if result['entitlements'] is not None:
            expected['entitlements'] = {lid: result['entitlements'][lid] for lid in sorted(result['entitlements'])}
        document = {
            'name': spec['name'],
            'description': spec['description'],
            'terms': terms,
            'holdings': spec['holdings'],
            'period': spec['period'],
            'dues': spec['dues'],
            'payment': spec['payment'],
            'expected': expected,
        }
        if spec['reversal'] is not None:
            document['reversal'] = dict(spec['reversal'], expected=reversal_entry(entry, spec['reversal']))
            PATHS.add('reversal')
        path = HERE / f"{spec['name']}.json"
        path.write_text(json.dumps(as_json(document), indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    print(f'{len(CASES)} golden repayments written to {HERE.name}/; rules exercised: {sorted(PATHS)}')


def as_json(value):
    """Integers become decimal strings (minor units), except priorities."""
    if isinstance(value, dict):
        return {k: (v if k == 'priority' else as_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


if __name__ == '__main__':
    main()
