#!/usr/bin/env python3
"""Golden repayment schedules, computed from docs/schedules.md alone.

An independent implementation of the documented conventions: arithmetic with the standard
library's decimal module, dates with datetime, nothing shared with the engine. Writes one JSON file
per case next to this script (amounts as decimal strings of minor units).

    python3 test/golden/schedules/generate.py
"""

import datetime
import json
import pathlib
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

HERE = pathlib.Path(__file__).resolve().parent
ROUNDING = {'HALF_UP': ROUND_HALF_UP, 'HALF_EVEN': ROUND_HALF_EVEN, 'DOWN': ROUND_DOWN}
WORKING_DIGITS = 200  # every quotient below carries far more digits than the one rounding needs


# --- rounding -------------------------------------------------------------------------------

def to_minor(value, mode):
    """A Decimal number of minor units rounded to a whole number with the named mode."""
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS + 50
        return int(value.quantize(Decimal(1), rounding=ROUNDING[mode]))


def divide(numerator, denominator, digits=WORKING_DIGITS):
    """numerator / denominator to `digits` significant digits (Decimal or int operands)."""
    with localcontext() as ctx:
        ctx.prec = digits
        return Decimal(numerator) / Decimal(denominator)


def multiply(*factors):
    """An exact product (the precision grows with the operands)."""
    with localcontext() as ctx:
        ctx.prec = 10_000
        product = Decimal(1)
        for factor in factors:
            product = product * Decimal(factor)
        return product


# --- dates ----------------------------------------------------------------------------------

def parse_date(text):
    return datetime.date.fromisoformat(text)


def days_in_month(year, month):
    first_of_next = datetime.date(year + 1, 1, 1) if month == 12 else datetime.date(year, month + 1, 1)
    return (first_of_next - datetime.timedelta(days=1)).day


def add_months(day, months):
    """Same day of month `months` later, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return datetime.date(year, month, min(day.day, days_in_month(year, month)))


def day_count(start, end, convention):
    """(days, basis) of [start, end) under the day count."""
    if convention == 'ACT/360':
        return (end - start).days, 360
    if convention == 'ACT/365':
        return (end - start).days, 365
    if convention == '30/360':
        d1 = 30 if start.day == 31 else start.day
        d2 = 30 if (end.day == 31 and d1 == 30) else end.day
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1), 360
    raise ValueError(convention)


# --- interest -------------------------------------------------------------------------------

def monthly_interest(opening, rate, mode):
    """A regular month: opening x annual rate / 12, rounded."""
    return to_minor(divide(multiply(opening, rate), 12), mode)


def daily_interest(opening, rate, start, end, convention, mode):
    """opening x annual rate x days / basis over [start, end), rounded once."""
    days, basis = day_count(start, end, convention)
    return to_minor(divide(multiply(opening, rate, days), basis), mode)


def level_payment(principal, rate, months, mode):
    """A = P r / (1 - (1 + r)^-n), r = annual / 12, rounded once."""
    if rate == 0:
        return to_minor(divide(principal, months), mode)
    # The textbook formula at high precision ...
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        r = rate / 12
        textbook = principal * r / (1 - (1 + r) ** (-months))
    # ... and the same value as one fraction of integers: rate = a / 10^k, D = 12 10^k,
    # A = P a (D + a)^n / (D ((D + a)^n - D^n)).
    sign, digits, exponent = rate.as_tuple()
    a = int(''.join(str(d) for d in digits))
    if exponent >= 0:
        a *= 10 ** exponent
        scale = 1
    else:
        scale = 10 ** (-exponent)
    big_d = 12 * scale
    numerator = principal * a * (big_d + a) ** months
    denominator = big_d * ((big_d + a) ** months - big_d ** months)
    digits = max(WORKING_DIGITS, (denominator.bit_length() + (numerator // denominator).bit_length()) * 302 // 1000 + 60)
    exact = divide(numerator, denominator, digits)
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        assert abs(exact - textbook) < Decimal('1e-100'), (principal, rate, months, exact, textbook)
    return to_minor(exact, mode)


# --- schedules ------------------------------------------------------------------------------

def due_dates(disbursement, months, first_due):
    if first_due is None:
        return [add_months(disbursement, i) for i in range(1, months + 1)]
    return [add_months(first_due, i - 1) for i in range(1, months + 1)]


def row(number, start, end, opening, principal, interest):
    assert principal >= 0 and interest >= 0 and 0 <= principal <= opening
    return {
        'number': number,
        'dueDate': end.isoformat(),
        'periodStart': start.isoformat(),
        'periodEnd': end.isoformat(),
        'days': (end - start).days,
        'principalMinor': principal,
        'interestMinor': interest,
        'totalMinor': principal + interest,
        'openingPrincipalMinor': opening,
        'closingPrincipalMinor': opening - principal,
    }


def borrower_schedule(terms):
    principal = terms['principalMinor']
    rate = Decimal(terms['annualRate'])
    months = terms['termMonths']
    method = terms['method']
    mode = terms['roundingMode']
    convention = terms['dayCount']
    disbursement = parse_date(terms['disbursementDate'])
    first_due = parse_date(terms['firstDueDate']) if 'firstDueDate' in terms else None
    dates = due_dates(disbursement, months, first_due)

    if method == 'BULLET':
        maturity = dates[-1]
        interest = daily_interest(principal, rate, disbursement, maturity, convention, mode)
        rows = [row(1, disbursement, maturity, principal, principal, interest)]
    else:
        odd_first = dates[0] != add_months(disbursement, 1)
        level = level_payment(principal, rate, months, mode) if method == 'EQUAL_INSTALLMENT' else None
        equal_part = to_minor(divide(principal, months), mode) if method == 'EQUAL_PRINCIPAL' else None
        rows = []
        opening = principal
        start = disbursement
        for i, due in enumerate(dates, start=1):
            if i == 1 and odd_first:
                interest = daily_interest(opening, rate, start, due, convention, mode)
            else:
                interest = monthly_interest(opening, rate, mode)
            if i == months:
                part = opening
            elif method == 'EQUAL_INSTALLMENT':
                part = min(max(level - interest, 0), opening)
            elif method == 'EQUAL_PRINCIPAL':
                part = min(max(equal_part, 0), opening)
            else:  # INTEREST_ONLY
                part = 0
            rows.append(row(i, start, due, opening, part, interest))
            opening -= part
            start = due

    assert sum(r['principalMinor'] for r in rows) == principal and rows[-1]['closingPrincipalMinor'] == 0
    return {
        'method': method,
        'totalPrincipalMinor': principal,
        'totalInterestMinor': sum(r['interestMinor'] for r in rows),
        'instalments': rows,
    }


# --- the allocation rules of split ----------------------------------------------------------

PATHS = set()  # which branches of split the goldens exercise, printed at the end


def tie_key(part, remainder):
    """Tie-break order: larger remainder, lower priority, lower id."""
    return (-remainder, part['priority'], part['id'])


def split(total, parts, rule):
    """Splits total by weight following the documented remainder rules, caps and floor."""
    result = {p['id']: 0 for p in parts}
    if total == 0:
        return result
    pool = [p for p in parts if p['weight'] > 0]
    assert pool
    remaining = total
    # Parts whose exact share reaches their cap get the cap; repeat with the others.
    while pool:
        weight = sum(p['weight'] for p in pool)
        reached = [p for p in pool if p['cap'] is not None and remaining * p['weight'] >= p['cap'] * weight]
        if not reached:
            break
        PATHS.add('cap-fill')
        for p in reached:
            result[p['id']] = p['cap']
            remaining -= p['cap']
        pool = [p for p in pool if p not in reached]
    if not pool:
        assert remaining == 0
        return result
    weight = sum(p['weight'] for p in pool)

    def remainder(p, amount):
        return remaining * p['weight'] - amount * weight  # exact share minus amount, times weight

    if rule['kind'] == 'LARGEST_REMAINDER':
        left = remaining
        for p in pool:
            result[p['id']] = (remaining * p['weight']) // weight
            left -= result[p['id']]
        ranked = sorted((p for p in pool if remainder(p, result[p['id']]) > 0),
                        key=lambda p: tie_key(p, remainder(p, result[p['id']])))
        for p in ranked[:left]:
            result[p['id']] += 1
        assert left <= len(ranked)
        return result

    mode = rule['mode']
    named = [p for p in pool if p['id'] == rule.get('party')]
    party = named[0] if named else min(pool, key=lambda p: (-p['weight'], p['priority'], p['id']))
    others = [p for p in pool if p is not party]
    for p in others:
        result[p['id']] = to_minor(divide(remaining * p['weight'], weight), mode)
    party_amount = remaining - sum(result[p['id']] for p in others)
    exact_remainders = {p['id']: remainder(p, result[p['id']]) for p in others}
    order = sorted(others, key=lambda p: tie_key(p, exact_remainders[p['id']]))
    if party_amount < 0:
        PATHS.add('floor')
        result[party['id']] = 0
        units = -party_amount
        while units > 0:  # one unit back each, smallest remainder first, while a part has one
            moved = False
            for p in reversed(order):
                if units and result[p['id']] > 0:
                    result[p['id']] -= 1
                    units -= 1
                    moved = True
            assert moved
    elif party['cap'] is not None and party_amount > party['cap']:
        PATHS.add('party-cap')
        result[party['id']] = party['cap']
        units = party_amount - party['cap']
        while units > 0:  # one unit each to the others with headroom, in tie-break order
            moved = False
            for p in order:
                if units and (p['cap'] is None or result[p['id']] < p['cap']):
                    result[p['id']] += 1
                    units -= 1
                    moved = True
            assert moved
    else:
        result[party['id']] = party_amount
    return result


NO_PRIORITY = float('inf')  # a lender without a priority ranks after every lender with one


def lender_schedules(schedule, plan, rule):
    outstanding = {p['lenderId']: p['amountMinor'] for p in plan}
    rows = {p['lenderId']: [] for p in plan}
    for inst in schedule['instalments']:
        assert sum(outstanding.values()) == inst['openingPrincipalMinor']

        def parts(capped):
            return [{'id': p['lenderId'], 'weight': outstanding[p['lenderId']],
                     'priority': p.get('priority', NO_PRIORITY),
                     'cap': outstanding[p['lenderId']] if capped else None} for p in plan]

        principal = split(inst['principalMinor'], parts(True), rule)
        interest = split(inst['interestMinor'], parts(False), rule)
        assert sum(principal.values()) == inst['principalMinor'] and sum(interest.values()) == inst['interestMinor']
        for p in plan:
            lid = p['lenderId']
            assert 0 <= principal[lid] <= outstanding[lid] and interest[lid] >= 0
            outstanding[lid] -= principal[lid]
            rows[lid].append({
                'number': inst['number'],
                'dueDate': inst['dueDate'],
                'principalMinor': principal[lid],
                'interestMinor': interest[lid],
                'spreadMinor': 0,  # PRO_RATA: no lender's part is spread
                'totalMinor': principal[lid] + interest[lid],
                'closingPrincipalMinor': outstanding[lid],
            })
    result = []
    for p in plan:
        lid = p['lenderId']
        assert outstanding[lid] == 0 and sum(r['principalMinor'] for r in rows[lid]) == p['amountMinor']
        result.append({
            'lenderId': lid,
            'totalPrincipalMinor': p['amountMinor'],
            'totalInterestMinor': sum(r['interestMinor'] for r in rows[lid]),
            'instalments': rows[lid],
        })
    return result


# --- output ---------------------------------------------------------------------------------

def as_json(value):
    """Integers become decimal strings (minor units) except the counting fields."""
    if isinstance(value, dict):
        return {k: (v if k in ('number', 'days', 'termMonths', 'priority') else as_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def case(name, description, principal, rate, months, method, disbursement, day_count_name, mode,
         first_due=None, plan=None, rule=None):
    terms = {
        'principalMinor': principal,
        'annualRate': rate,
        'termMonths': months,
        'method': method,
        'disbursementDate': disbursement,
        'dayCount': day_count_name,
        'roundingMode': mode,
    }
    if first_due is not None:
        terms['firstDueDate'] = first_due
    return {'name': name, 'description': description, 'terms': terms, 'plan': plan, 'rule': rule}


def three_lenders(principal, shares=(3, 5, 2)):
    """LEAD, BANK-A and BANK-B funding `principal` in the given proportions (LEAD takes the rest)."""
    total = sum(shares)
    bank_a = principal * shares[1] // total
    bank_b = principal * shares[2] // total
    return [
        {'lenderId': 'LEAD', 'amountMinor': principal - bank_a - bank_b, 'priority': 0},
        {'lenderId': 'BANK-A', 'amountMinor': bank_a, 'priority': 1},
        {'lenderId': 'BANK-B', 'amountMinor': bank_b, 'priority': 2},
    ]


LEAD_HALF_UP = {'kind': 'ROUNDING_PARTY', 'party': 'LEAD', 'mode': 'HALF_UP'}
LARGEST = {'kind': 'LARGEST_REMAINDER'}

CASES = [
    case('ei-12m-12pct-half-up', '10,000.00 over 12 months at 12%: the worked example (888.49 a month)',
         1_000_000, '0.12', 12, 'EQUAL_INSTALLMENT', '2024-01-15', 'ACT/365', 'HALF_UP'),
    case('ei-36m-4.35pct-half-even-act360', '350,000.00 over 36 months at 4.35%, HALF_EVEN',
         35_000_000, '0.0435', 36, 'EQUAL_INSTALLMENT', '2023-06-10', 'ACT/360', 'HALF_EVEN'),
    case('ei-odd-first-46-days', 'a first period of 46 days accrued daily ACT/365',
         5_000_000, '0.0888', 24, 'EQUAL_INSTALLMENT', '2024-03-05', 'ACT/365', 'HALF_UP', first_due='2024-04-20'),
    case('ei-month-end-down', 'disbursed on 31 January of a leap year: due 29 Feb, 31 Mar, 30 Apr ...; DOWN',
         12_345_678, '0.156', 18, 'EQUAL_INSTALLMENT', '2024-01-31', 'ACT/365', 'DOWN'),
    case('ei-1-month-30-360', 'a one-month term: one instalment of principal and a month of interest',
         100_000, '0.18', 1, 'EQUAL_INSTALLMENT', '2024-05-20', '30/360', 'HALF_UP'),
    case('ei-1-fen', 'a principal of 1 fen', 1, '0.24', 12, 'EQUAL_INSTALLMENT', '2024-02-01', 'ACT/365', 'HALF_UP'),
    case('ei-1e12-fen-60m', 'a principal of 10^12 fen over 60 months, HALF_EVEN',
         10 ** 12, '0.0365', 60, 'EQUAL_INSTALLMENT', '2024-07-01', 'ACT/365', 'HALF_EVEN'),
    case('ei-zero-rate', 'rate 0: the level payment is P / n rounded', 1_000_001, '0', 7,
         'EQUAL_INSTALLMENT', '2024-04-30', 'ACT/360', 'DOWN'),
    case('ei-short-odd-first-30-360', 'a first period of less than a month under 30/360, HALF_EVEN',
         2_000_000, '0.2', 6, 'EQUAL_INSTALLMENT', '2024-02-10', '30/360', 'HALF_EVEN', first_due='2024-02-28'),
    case('ei-exact-level-payment-down', '201.00 over 2 months at 12%: A = 102.01 exactly, so DOWN keeps it',
         20_100, '0.12', 2, 'EQUAL_INSTALLMENT', '2024-01-10', 'ACT/365', 'DOWN'),
    case('ei-long-odd-first-interest-above-level', 'a 75-day first period whose interest exceeds the level payment',
         1_000_000, '0.3', 24, 'EQUAL_INSTALLMENT', '2024-01-10', 'ACT/365', 'HALF_UP', first_due='2024-03-25'),
    case('ei-half-fen-ties-half-even', '6.00 at 1%: each month starts on a half-fen tie, HALF_EVEN',
         600, '0.01', 3, 'EQUAL_INSTALLMENT', '2024-06-15', 'ACT/360', 'HALF_EVEN'),
    case('ei-half-fen-ties-half-up', '6.00 at 1%: the same ties, HALF_UP',
         600, '0.01', 3, 'EQUAL_INSTALLMENT', '2024-06-15', 'ACT/360', 'HALF_UP'),
    case('ei-360m-leap-day', '3,000,000.00 over 30 years at 4.9%, disbursed on 29 February',
         300_000_000, '0.049', 360, 'EQUAL_INSTALLMENT', '2024-02-29', 'ACT/365', 'HALF_UP'),
    case('ep-12m-12pct', '12,000.00 in 12 equal principal parts at 12%',
         1_200_000, '0.12', 12, 'EQUAL_PRINCIPAL', '2024-01-15', 'ACT/365', 'HALF_UP'),
    case('ep-36m-residue-half-even', '10,000.00 over 36 months: P / n is not whole, the last absorbs the residue',
         1_000_000, '0.0725', 36, 'EQUAL_PRINCIPAL', '2023-09-09', 'ACT/360', 'HALF_EVEN'),
    case('ep-odd-first-month-end-30-360', 'odd first period to 31 January, then month-end dates, 30/360, DOWN',
         7_777_777, '0.099', 10, 'EQUAL_PRINCIPAL', '2023-12-15', '30/360', 'DOWN', first_due='2024-01-31'),
    case('ep-7-fen', 'a principal of 7 fen over 12 months: 1 fen a month until it runs out',
         7, '0.36', 12, 'EQUAL_PRINCIPAL', '2024-03-01', 'ACT/365', 'HALF_UP'),
    case('ep-1-month-down', 'a one-month term, DOWN', 50_000, '0.05', 1, 'EQUAL_PRINCIPAL', '2024-12-31', 'ACT/360', 'DOWN'),
    case('io-12m-6pct', '100,000.00 interest-only at 6%', 10_000_000, '0.06', 12, 'INTEREST_ONLY',
         '2024-01-15', 'ACT/365', 'HALF_UP'),
    case('io-odd-first-act360', 'interest-only with a 45-day first period, ACT/360, HALF_EVEN',
         3_000_000, '0.1', 6, 'INTEREST_ONLY', '2024-08-31', 'ACT/360', 'HALF_EVEN', first_due='2024-10-15'),
    case('io-month-end-regular-first', 'first due 31 January one month after 31 December: regular, then month ends',
         999_999, '0.075', 13, 'INTEREST_ONLY', '2023-12-31', '30/360', 'DOWN', first_due='2024-01-31'),
    case('io-1e12-fen-36m', 'a principal of 10^12 fen interest-only over 36 months at 24%',
         10 ** 12, '0.24', 36, 'INTEREST_ONLY', '2024-05-31', 'ACT/365', 'HALF_UP'),
    case('bullet-12m-leap-year-act365', 'a year that holds 29 February: 366 days over 365',
         10_000_000, '0.0435', 12, 'BULLET', '2024-01-15', 'ACT/365', 'HALF_UP'),
    case('bullet-3m-month-end-30-360', 'disbursed 30 November, matures 28 February; 30/360, HALF_EVEN',
         5_000_000, '0.12', 3, 'BULLET', '2024-11-30', '30/360', 'HALF_EVEN'),
    case('bullet-1m-1-fen', 'a principal of 1 fen for one month', 1, '0.36', 1, 'BULLET', '2024-02-29', 'ACT/360', 'HALF_UP'),
    case('bullet-1e12-fen-6m-down', 'a principal of 10^12 fen for 6 months, ACT/360, DOWN',
         10 ** 12, '0.0365', 6, 'BULLET', '2024-03-31', 'ACT/360', 'DOWN'),
    case('bullet-first-due-date', 'a first due date moves maturity to its day: 1 June after 12 months',
         2_500_000, '0.08', 12, 'BULLET', '2024-06-17', 'ACT/365', 'HALF_UP', first_due='2024-07-01'),
    case('lenders-ei-3-rounding-party', 'three lenders 30/50/20 under ROUNDING_PARTY to the lead, HALF_UP',
         1_000_000, '0.12', 12, 'EQUAL_INSTALLMENT', '2024-01-15', 'ACT/365', 'HALF_UP',
         plan=three_lenders(1_000_000), rule=LEAD_HALF_UP),
    case('lenders-ei-3-largest-remainder', 'three lenders 30/50/20 under LARGEST_REMAINDER',
         1_000_000, '0.12', 12, 'EQUAL_INSTALLMENT', '2024-01-15', 'ACT/365', 'HALF_UP',
         plan=three_lenders(1_000_000), rule=LARGEST),
    case('lenders-ep-3-thirds-largest-remainder', 'three near-equal lenders, one without a priority, EQUAL_PRINCIPAL',
         1_000_001, '0.0725', 10, 'EQUAL_PRINCIPAL', '2024-03-31', 'ACT/360', 'HALF_EVEN',
         plan=[{'lenderId': 'LEAD', 'amountMinor': 333_334, 'priority': 0},
               {'lenderId': 'BANK-B', 'amountMinor': 333_334},
               {'lenderId': 'BANK-A', 'amountMinor': 333_333, 'priority': 1}],
         rule=LARGEST),
    case('lenders-io-3-rounding-party-half-even', 'three lenders, odd first period, ROUNDING_PARTY HALF_EVEN',
         3_000_000, '0.1', 6, 'INTEREST_ONLY', '2024-08-31', 'ACT/360', 'HALF_EVEN', first_due='2024-10-15',
         plan=three_lenders(3_000_000, (1, 1, 1)),
         rule={'kind': 'ROUNDING_PARTY', 'party': 'LEAD', 'mode': 'HALF_EVEN'}),
    case('lenders-ep-5-equal-tiny-half-up', 'five lenders of 1.00 each: HALF_UP overshoots and the floor gives back',
         500, '0.072', 5, 'EQUAL_PRINCIPAL', '2024-01-20', 'ACT/365', 'HALF_UP',
         plan=[{'lenderId': f'L{i}', 'amountMinor': 100, 'priority': i} for i in range(5)],
         rule={'kind': 'ROUNDING_PARTY', 'party': 'L0', 'mode': 'HALF_UP'}),
    case('lenders-ei-5-lead-1-fen-down', 'a lead of 1 fen as rounding party under DOWN: the excess over its cap goes out',
         100_001, '0.18', 6, 'EQUAL_INSTALLMENT', '2024-01-20', 'ACT/365', 'DOWN',
         plan=[{'lenderId': 'LEAD', 'amountMinor': 1, 'priority': 0}]
         + [{'lenderId': f'P{i}', 'amountMinor': 25_000, 'priority': i} for i in range(1, 5)],
         rule={'kind': 'ROUNDING_PARTY', 'party': 'LEAD', 'mode': 'DOWN'}),
]


def main():
    for old in HERE.glob('*.json'):
        old.unlink()
    for spec in CASES:
        schedule = borrower_schedule(spec['terms'])
        document = {'name': spec['name'], 'description': spec['description'], 'terms': spec['terms'],
                    'schedule': schedule}
        if spec['plan'] is not None:
            document['fundingPlan'] = spec['plan']
            document['rule'] = spec['rule']
            document['lenderSchedules'] = lender_schedules(schedule, spec['plan'], spec['rule'])
        path = HERE / f"{spec['name']}.json"
        path.write_text(json.dumps(as_json(document), indent=1) + '\n', encoding='utf-8')
    print(f'{len(CASES)} golden schedules written to {HERE.name}/; split paths exercised: {sorted(PATHS)}')


if __name__ == '__main__':
    main()
