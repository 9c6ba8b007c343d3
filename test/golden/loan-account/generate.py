#!/usr/bin/env python3
"""Golden loan accounts, computed from docs/repayment-booking.md ("The loan account" and
"Compensation, write-off, share transfer") alone.

An independent implementation of the documented fold: each case books a loan, applies its payments
and its events (guarantee compensation, write-off, share transfer) in order of effect (value date,
then arrival) and records, per payment, the dues, what the waterfall covers, the early repayment,
the suspense, each lender's parts and what a recovery gives back; per event, the legs of its entry;
and at the end every schedule row, each lender's outstanding principal, the penalty outstanding,
the suspense and the status.

The schedule conventions (docs/schedules.md) and the split rules (docs/repayments.md) come from the
two sibling generators, themselves written from those pages: the booked schedule, the level payment,
the monthly and daily interest, the waterfall and the split with its remainder rules. Everything
the loan account adds (penalty and compound accrual, dues, attribution to rows, early repayment and
the rebuild of the rows not yet due, per-instalment LENDER_RATE interest, compensation, recoveries,
write-off and loss sharing, transfers and the seller's interest under ACTUALS) is written here, with
exact fractions and datetime, sharing nothing with the engine. Writes one JSON file per case next to
this script (amounts as decimal strings of minor units).

    python3 test/golden/loan-account/generate.py
"""

import copy
import datetime
import importlib.util
import json
import pathlib
from decimal import Decimal
from fractions import Fraction

HERE = pathlib.Path(__file__).resolve().parent


def sibling(name):
    """The generator of test/golden/<name>, loaded as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(f'golden_{name}', HERE.parent / name / 'generate.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SPLIT = sibling('repayments')  # waterfall, split_repayment, day_count (docs/repayments.md)
SCHEDULE = sibling('schedules')  # borrower_schedule, level_payment, monthly_interest (docs/schedules.md)

LEAD = 'LEAD-BANK'
PARTNER_A = 'PARTNER-A'
PARTNER_B = 'PARTNER-B'
DEFAULT_WATERFALL = SPLIT.DEFAULT_WATERFALL
DUES_FIELDS = SPLIT.DUES_FIELDS
PATHS = set()  # which rules of the loan account the goldens exercise, printed at the end


# --- exact arithmetic -----------------------------------------------------------------------

def round_fraction(value, mode):
    """A non-negative Fraction of minor units rounded to a whole number with the named mode."""
    assert value >= 0
    whole, rest = divmod(value.numerator, value.denominator)
    rest = Fraction(rest, value.denominator)
    if mode == 'DOWN' or rest < Fraction(1, 2):
        return whole
    if rest > Fraction(1, 2):
        return whole + 1
    if mode == 'HALF_UP':
        return whole + 1
    assert mode == 'HALF_EVEN'
    return whole + (whole % 2)


def day_fraction(start, end, convention):
    """days / basis of [start, end) under the program's day count, as a Fraction."""
    days, basis = SPLIT.day_count(start.isoformat(), end.isoformat(), convention)
    assert days >= 0
    return Fraction(days, basis)


def daily_interest(principal, rate, start, end, convention, mode):
    """principal x rate x days / basis over [start, end), rounded once."""
    return round_fraction(principal * rate * day_fraction(start, end, convention), mode)


def monthly_interest(opening, rate, mode):
    return round_fraction(opening * rate / 12, mode)


def level_payment(principal, annual_rate, months, mode):
    return SCHEDULE.level_payment(principal, Decimal(annual_rate), months, mode)


def date(text):
    return datetime.date.fromisoformat(text)


# --- the loan account -----------------------------------------------------------------------

# The least share of the outstanding principal a holder keeps after a transfer, by profile and role.
MIN_HOLDING_BPS = {'CN-2021': {'LEAD': 0, 'PARTNER': 3000}, 'IN-2025': {'LEAD': 1000, 'PARTNER': 1000}}


def leg(lender, account, side, amount, counterparty=None):
    return {'lenderId': lender, 'account': account, 'side': side, 'amountMinor': amount, 'counterparty': counterparty}


def legs_of(*candidates):
    """The legs with an amount (a leg of 0 is not written)."""
    return [c for c in candidates if c['amountMinor'] != 0]


class Account:
    """The account of one loan: its schedule rows, each lender's principal, penalty, suspense and
    what a guarantor or the parties that lost still have to recover."""

    def __init__(self, loan, program):
        self.loan = loan
        self.program = program
        self.rate = Fraction(loan['annualRate'])
        self.penalty_rate = self.rate * Fraction(program['penaltyRateMultiplier'])
        self.mode = program['roundingMode']
        self.convention = program['dayCount']
        booked = SCHEDULE.borrower_schedule({
            'principalMinor': loan['principalMinor'], 'annualRate': loan['annualRate'],
            'termMonths': loan['termMonths'], 'method': loan['method'],
            'disbursementDate': loan['disbursementDate'], 'dayCount': self.convention, 'roundingMode': self.mode,
        })
        self.booked = booked['instalments']
        self.rows = [{
            'dueDate': date(r['dueDate']), 'periodStart': date(r['periodStart']),
            'principal': r['principalMinor'], 'interest': r['interestMinor'],
            'paidPrincipal': 0, 'paidInterest': 0, 'prepayment': False, 'received': {},
        } for r in self.booked]
        # The size a SHORTER_TERM rebuild measures against: the level payment (EQUAL_INSTALLMENT) or the
        # principal per instalment (EQUAL_PRINCIPAL) of the rows not yet due.
        if loan['method'] == 'EQUAL_INSTALLMENT':
            self.instalment_size = level_payment(loan['principalMinor'], loan['annualRate'], loan['termMonths'],
                                                 self.mode)
        elif loan['method'] == 'EQUAL_PRINCIPAL':
            self.instalment_size = round_fraction(Fraction(loan['principalMinor'], loan['termMonths']), self.mode)
        else:
            self.instalment_size = None
        # Each lender's book, in the order the books were opened (the funding plan, then buyers).
        self.outstanding = {p['lenderId']: p['amountMinor'] for p in loan['fundingPlan']}
        self.roles = {p['lenderId']: p for p in program['participants']}
        self.penalty = 0
        self.last_accrual = None
        self.suspense = 0
        self.claim = None  # after a compensation: {'guarantor', 'left'}
        self.loss = None  # after a write-off: {'byParty': {party: loss}, 'left'}
        self.compensated = False
        self.owed = []  # ACTUALS: interest of a period owed to a seller, {'row', 'buyer', 'seller', 'left'}
        # Totals for the end-of-case checks.
        self.recovered = 0
        self.principal_compensated = 0
        self.principal_written_off = 0

    # -- reading the rows --

    @staticmethod
    def unpaid_principal(row):
        return row['principal'] - row['paidPrincipal']

    @staticmethod
    def unpaid_interest(row):
        return row['interest'] - row['paidInterest']

    def fully_paid(self, row):
        return self.unpaid_principal(row) == 0 and self.unpaid_interest(row) == 0

    def overdue_rows(self, on):
        return [r for r in self.rows if r['dueDate'] < on]

    def current_rows(self, on):
        return [r for r in self.rows if r['dueDate'] == on and not r['prepayment']]

    def future_rows(self, on):
        return [r for r in self.rows if r['dueDate'] > on]

    def days_past_due(self, on):
        """From the due date of the oldest instalment not fully paid (due before `on`) to `on`."""
        unpaid = [r for r in self.overdue_rows(on) if not self.fully_paid(r)]
        return (on - unpaid[0]['dueDate']).days if unpaid else 0

    def recovering(self):
        return self.claim is not None or self.loss is not None

    # -- one payment --

    def accrue_penalty(self, on):
        """Penalty on overdue principal and compound interest on overdue interest, to `on`."""
        principal_days = Fraction(0)
        interest_days = Fraction(0)
        for r in self.overdue_rows(on):
            start = r['dueDate'] if self.last_accrual is None else max(self.last_accrual, r['dueDate'])
            fraction = day_fraction(start, on, self.convention)
            principal_days += self.unpaid_principal(r) * fraction
            interest_days += self.unpaid_interest(r) * fraction
        accrued = (round_fraction(principal_days * self.penalty_rate, self.mode)
                   + round_fraction(interest_days * self.penalty_rate, self.mode))
        if accrued:
            PATHS.add('penalty' if interest_days == 0 else 'penalty-and-compound')
        self.penalty += accrued
        self.last_accrual = on

    def dues(self, on):
        overdue = self.overdue_rows(on)
        current = self.current_rows(on)
        return {
            'penaltyMinor': self.penalty,
            'overdueInterestMinor': sum(self.unpaid_interest(r) for r in overdue),
            'overduePrincipalMinor': sum(self.unpaid_principal(r) for r in overdue),
            'currentInterestMinor': sum(self.unpaid_interest(r) for r in current),
            'currentPrincipalMinor': sum(self.unpaid_principal(r) for r in current),
            'feesMinor': 0,
        }

    def accrued_interest(self, on):
        """The interest accrued on the principal not yet due from the start of the current period to `on`."""
        future = self.future_rows(on)
        principal = sum(self.unpaid_principal(r) for r in future)
        return daily_interest(principal, self.rate, future[0]['periodStart'], on, self.convention, self.mode)

    def payoff_amount(self, on):
        """What pays every due and all the principal not yet due at `on` (the accrued interest included)."""
        principal = sum(self.unpaid_principal(r) for r in self.future_rows(on))
        return sum(self.dues(on).values()) + self.accrued_interest(on) + principal

    def apply(self, payment):
        on = date(payment['valueDate'])
        assert on >= date(self.loan['disbursementDate'])
        dpd = self.days_past_due(on)
        self.accrue_penalty(on)
        dues = self.dues(on)
        amount = payment['amountMinor']
        covered = SPLIT.waterfall(amount, dues, self.program['waterfall'])

        # Attribute what is covered: the penalty, then each row's interest and principal, oldest first.
        self.penalty -= covered['penaltyMinor']
        interest_paid = []  # (row, amount) for the per-instalment LENDER_RATE split
        self.pay_rows(self.overdue_rows(on), covered['overdueInterestMinor'], 'Interest', interest_paid)
        self.pay_rows(self.overdue_rows(on), covered['overduePrincipalMinor'], 'Principal', None)
        self.pay_rows(self.current_rows(on), covered['currentInterestMinor'], 'Interest', interest_paid)
        self.pay_rows(self.current_rows(on), covered['currentPrincipalMinor'], 'Principal', None)
        outcome = {
            'repaymentId': payment['repaymentId'],
            'valueDate': payment['valueDate'],
            'daysPastDueBefore': dpd,
            'dues': dues,
            'covered': covered,
        }
        if self.recovering():
            return dict(outcome, **self.recover(covered))

        # Early repayment.
        excess = covered['excessMinor']
        prepaid_interest = prepaid_principal = 0
        future = self.future_rows(on)
        not_yet_due = sum(self.unpaid_principal(r) for r in future)
        prepaying = payment['kind'] == 'PREPAYMENT' or self.program['prepayment']['excess'] == 'PREPAY'
        if prepaying and excess > 0 and not_yet_due > 0:
            start = future[0]['periodStart']
            accrued = daily_interest(not_yet_due, self.rate, start, on, self.convention, self.mode)
            if excess >= accrued:
                prepaid_interest = accrued
                prepaid_principal = min(excess - accrued, not_yet_due)
                if prepaid_principal == 0:
                    PATHS.add('prepayment-of-accrued-interest-alone')
                else:
                    PATHS.add('prepayment-' + ('payoff' if prepaid_principal == not_yet_due else
                                               self.program['prepayment']['reschedule']) + '-' + self.loan['method'])
                row = {'dueDate': on, 'periodStart': start, 'principal': prepaid_principal,
                       'interest': prepaid_interest, 'paidPrincipal': prepaid_principal,
                       'paidInterest': prepaid_interest, 'prepayment': True, 'received': {}}
                if prepaid_interest:
                    interest_paid.append((row, prepaid_interest))
                kept = [r for r in self.rows if r['dueDate'] <= on]
                self.rows = kept + [row] + self.rebuild(future, not_yet_due - prepaid_principal, on)
            else:
                PATHS.add('excess-below-accrued-interest')
        suspense = excess - prepaid_interest - prepaid_principal
        if suspense:
            PATHS.add('suspense')
        self.suspense += suspense

        parts = self.split(covered, prepaid_interest, prepaid_principal, suspense, interest_paid)
        parts = self.pay_interest_owed(parts, interest_paid)
        for lender, p in parts.items():
            if lender in self.outstanding:
                self.outstanding[lender] -= p['principalMinor']
                assert self.outstanding[lender] >= 0
        assert sum(self.outstanding.values()) == sum(self.unpaid_principal(r) for r in self.rows)
        return dict(outcome, **{
            'prepaidInterestMinor': prepaid_interest,
            'prepaidPrincipalMinor': prepaid_principal,
            'suspenseMinor': suspense,
            'perLender': [dict(lenderId=lender, **parts[lender]) for lender in sorted(parts)],
        })

    def pay_rows(self, rows, amount, component, interest_paid):
        for r in rows:
            unpaid = r['principal' if component == 'Principal' else 'interest'] - r['paid' + component]
            take = min(amount, unpaid)
            if take:
                r['paid' + component] += take
                amount -= take
                if interest_paid is not None:
                    interest_paid.append((r, take))
        assert amount == 0

    def rebuild(self, future, principal, on):
        """The rows not yet due, rebuilt from `on` on `principal`, keeping the due dates of the rows they
        replace (the first ones, when fewer)."""
        if principal == 0:
            return []  # repaying all of it settles the loan
        method = self.loan['method']
        reschedule = self.program['prepayment']['reschedule']
        dates = [r['dueDate'] for r in future]
        months = len(dates)
        if method == 'EQUAL_INSTALLMENT':
            if reschedule == 'SHORTER_TERM':
                rate = self.loan['annualRate']
                months = next((m for m in range(1, len(dates) + 1)
                               if level_payment(principal, rate, m, self.mode) <= self.instalment_size), len(dates))
            self.instalment_size = level_payment(principal, self.loan['annualRate'], months, self.mode)
        elif method == 'EQUAL_PRINCIPAL':
            if reschedule == 'SHORTER_TERM':
                # As many instalments as the old principal per instalment needs, never more than the rows left.
                months = min(len(dates), -(-principal // self.instalment_size))
                if months < len(dates):
                    PATHS.add('equal-principal-shorter-term-fewer-rows')
            # The principal left divided equally among them (the schedule's rule; the last takes the residue).
            self.instalment_size = round_fraction(Fraction(principal, months), self.mode)
        if dates[0] == SCHEDULE.add_months(on, 1):
            PATHS.add('rebuilt-first-period-regular-month')
        if len({d.day for d in dates[:months]}) > 1:
            PATHS.add('rebuilt-rows-keep-month-end-due-dates')
        rows = []
        opening = principal
        start = on
        for i, due in enumerate(dates[:months], start=1):
            if i == 1 and due != SCHEDULE.add_months(on, 1):
                interest = daily_interest(opening, self.rate, start, due, self.convention, self.mode)
            else:
                interest = monthly_interest(opening, self.rate, self.mode)
            if i == months:
                part = opening
            elif method == 'EQUAL_INSTALLMENT':
                part = min(max(self.instalment_size - interest, 0), opening)
            elif method == 'EQUAL_PRINCIPAL':
                part = min(self.instalment_size, opening)
            else:  # INTEREST_ONLY (BULLET has a single row)
                part = 0
            rows.append({'dueDate': due, 'periodStart': start, 'principal': part, 'interest': interest,
                         'paidPrincipal': 0, 'paidInterest': 0, 'prepayment': False, 'received': {}})
            opening -= part
            start = due
        assert opening == 0
        return rows

    # -- recoveries --

    def recover(self, covered):
        """What a payment on a compensated or written-off loan covers goes to the guarantor, up to its
        claim left, or to the parties that lost, in proportion to their losses; the rest is suspense.
        No lender is paid and nothing is repaid early."""
        total = sum(covered[f] for f in DUES_FIELDS)
        if self.claim is not None:
            take = min(total, self.claim['left'])
            self.claim['left'] -= take
            account = 'GUARANTEE_RECEIVABLE'
            parts = {self.claim['guarantor']: take} if take else {}
        else:
            take = min(total, self.loss['left'])
            self.loss['left'] -= take
            account = 'LOSSES'
            parts = SPLIT.divide(take, [{'id': party, 'weight': loss, 'priority': self.priority_of(party), 'cap': None}
                                        for party, loss in self.loss['byParty'].items()], self.remainder_rule())
            if len([v for v in parts.values() if v]) > 1:
                PATHS.add('recovery-split-by-losses')
        PATHS.add('recovery-' + account)
        suspense = covered['excessMinor'] + total - take
        if total > take:
            PATHS.add('recovery-beyond-what-is-left')
        self.suspense += suspense
        self.recovered += take
        return {
            'prepaidInterestMinor': 0,
            'prepaidPrincipalMinor': 0,
            'suspenseMinor': suspense,
            'perLender': [],
            'recovery': {'account': account,
                         'parts': [{'lenderId': party, 'amountMinor': parts[party]}
                                   for party in sorted(parts) if parts[party]]},
        }

    # -- events: compensation, write-off, transfer --

    def apply_event(self, event):
        on = date(event['valueDate'])
        assert on >= date(self.loan['disbursementDate'])
        self.accrue_penalty(on)  # an event of the account, folded like a payment: penalty accrues to D first
        kind = event['type']
        legs = (self.compensate(on) if kind == 'COMPENSATION' else self.write_off() if kind == 'WRITE_OFF'
                else self.transfer(event, on))
        SPLIT.check_balanced(legs)
        return {'eventId': event['eventId'], 'type': kind, 'valueDate': event['valueDate'], 'legs': legs}

    def compensate(self, on):
        """The guarantor pays each lender its outstanding principal and (unless the program says not)
        the unpaid interest of every row due on or before D, split as a payment of those dues would be."""
        guarantor = self.program['fees']['guarantorLenderId']
        assert guarantor is not None and self.roles[guarantor]['role'] == 'GUARANTOR'
        assert not self.recovering(), 'a compensated or written-off loan is not compensated again'
        principal = sum(self.outstanding.values())
        assert principal > 0
        portions = []
        if self.program['lossSharing']['guaranteeCoversInterest']:
            portions = [(r, self.unpaid_interest(r)) for r in self.rows
                        if r['dueDate'] <= on and self.unpaid_interest(r) > 0]
        PATHS.add('compensation-' + ('with-interest' if portions else 'principal-only') + '-'
                  + self.program['split']['interestBasis'])
        covered = {f: 0 for f in DUES_FIELDS}
        covered['overdueInterestMinor'] = sum(amount for _, amount in portions)
        covered['overduePrincipalMinor'] = principal
        covered['excessMinor'] = 0
        parts = self.split(covered, 0, 0, 0, portions)
        lender_legs = []
        guarantor_legs = []
        claim = 0
        for lender in sorted(parts):
            p = parts[lender]
            total = sum(p.values())
            if total == 0:
                continue
            claim += total
            lender_legs += legs_of(leg(lender, 'SETTLEMENT_CLEARING', 'DEBIT', total, guarantor),
                                   leg(lender, 'PRINCIPAL_RECEIVABLE', 'CREDIT', p['principalMinor']),
                                   leg(lender, 'INTEREST_INCOME', 'CREDIT', p['interestMinor']),
                                   leg(lender, 'FEE_INCOME', 'CREDIT', p['feeMinor'] + p['spreadMinor']))
            guarantor_legs.append(leg(guarantor, 'SETTLEMENT_CLEARING', 'CREDIT', total, lender))
            assert p['principalMinor'] == self.outstanding[lender] and p['penaltyMinor'] == 0
            self.outstanding[lender] = 0
        assert sum(self.outstanding.values()) == 0
        self.principal_compensated += principal
        self.claim = {'guarantor': guarantor, 'left': claim}
        self.compensated = True
        return lender_legs + [leg(guarantor, 'GUARANTEE_RECEIVABLE', 'DEBIT', claim)] + guarantor_legs

    def write_off(self):
        """The guarantor's claim left (on a compensated loan), or the lenders' outstanding principal,
        shared PRO_RATA or LEAD_FIRST_LOSS."""
        assert self.loss is None, 'a loan is written off once'
        if self.claim is not None:
            PATHS.add('write-off-guarantor-claim')
            guarantor, left = self.claim['guarantor'], self.claim['left']
            assert left > 0
            self.claim = None
            self.loss = {'byParty': {guarantor: left}, 'left': left}
            return [leg(guarantor, 'LOSSES', 'DEBIT', left), leg(guarantor, 'GUARANTEE_RECEIVABLE', 'CREDIT', left)]
        held = {lender: amount for lender, amount in self.outstanding.items() if amount > 0}
        total = sum(held.values())
        assert total > 0
        lead = self.program['leadLenderId']
        sharing = self.program['lossSharing']
        if sharing['method'] == 'PRO_RATA':
            PATHS.add('write-off-PRO_RATA')
            losses = dict(held)
        else:
            assert sharing['method'] == 'LEAD_FIRST_LOSS'
            cap = self.loan['principalMinor'] * sharing['leadFirstLossCapBps'] // 10_000  # floor to the fen
            first = min(total, cap)
            PATHS.add('write-off-LEAD_FIRST_LOSS-cap-' + ('binding' if total > cap else 'not-binding'))
            rest = SPLIT.divide(total - first, [{'id': lender, 'weight': amount, 'priority': self.priority_of(lender),
                                                 'cap': amount} for lender, amount in held.items()],
                                self.remainder_rule())
            losses = {lender: rest[lender] for lender in held}
            losses[lead] = losses.get(lead, 0) + first
        # Book by book, in lender order: a partner loses its part and is paid the difference by the lead.
        legs = []
        for lender in sorted(held):
            own, loss = held[lender], losses[lender]
            if lender == lead:
                legs += legs_of(leg(lender, 'LOSSES', 'DEBIT', loss), leg(lender, 'PRINCIPAL_RECEIVABLE', 'CREDIT', own))
                legs += legs_of(*[leg(lead, 'SETTLEMENT_CLEARING', 'CREDIT', held[p] - losses[p], p)
                                  for p in sorted(held) if p != lead])
            else:
                assert loss <= own
                legs += legs_of(leg(lender, 'LOSSES', 'DEBIT', loss),
                                leg(lender, 'SETTLEMENT_CLEARING', 'DEBIT', own - loss, lead),
                                leg(lender, 'PRINCIPAL_RECEIVABLE', 'CREDIT', own))
            self.outstanding[lender] = 0
        assert sum(losses.values()) == total
        self.principal_written_off += total
        self.loss = {'byParty': {party: loss for party, loss in losses.items() if loss > 0}, 'left': total}
        return legs

    def transfer(self, event, on):
        """A holder sells part of its principal at par to another funding participant, from D."""
        assert not self.recovering(), 'no transfer on a compensated or written-off loan'
        seller, buyer, amount = event['fromLenderId'], event['toLenderId'], event['principalMinor']
        assert seller != buyer and 0 < amount <= self.outstanding.get(seller, 0)
        assert self.roles[buyer]['role'] in ('LEAD', 'PARTNER')
        if buyer not in self.outstanding:
            PATHS.add('transfer-to-a-new-holder')
            self.outstanding[buyer] = 0
        self.outstanding[seller] -= amount
        self.outstanding[buyer] += amount
        # Not refused: a partner still holds a part and every holder keeps the profile's minimum share.
        total = sum(self.outstanding.values())
        minimum = MIN_HOLDING_BPS[self.program['regulatoryProfile']]
        assert any(self.roles[l]['role'] == 'PARTNER' and a > 0 for l, a in self.outstanding.items())
        for lender, held in self.outstanding.items():
            if held > 0:
                assert held * 10_000 >= minimum[self.roles[lender]['role']] * total, (lender, held, total)
        interest = self.program['transfers']['interest']
        PATHS.add('transfer-' + interest)
        if interest == 'ACTUALS':
            row = self.future_rows(on)[0]
            if row['periodStart'] < on:
                rate = self.rate
                if self.program['split']['interestBasis'] == 'LENDER_RATE':
                    assert self.roles[buyer]['role'] == 'PARTNER'
                    rate = Fraction(self.roles[buyer]['yieldRate'])
                owed = daily_interest(amount, rate, row['periodStart'], on, self.convention, self.mode)
                self.owed.append({'row': row, 'buyer': buyer, 'seller': seller, 'left': owed})
        return [leg(seller, 'SETTLEMENT_CLEARING', 'DEBIT', amount, buyer),
                leg(seller, 'PRINCIPAL_RECEIVABLE', 'CREDIT', amount),
                leg(buyer, 'PRINCIPAL_RECEIVABLE', 'DEBIT', amount),
                leg(buyer, 'SETTLEMENT_CLEARING', 'CREDIT', amount, seller)]

    def pay_interest_owed(self, parts, interest_paid):
        """ACTUALS: when a payment pays the interest of a period a transfer fell in, the seller's days of
        interest on what it sold (at most the buyer's part) move from the buyer to the seller."""
        for owed in self.owed:
            if owed['left'] and any(row is owed['row'] for row, _ in interest_paid):
                move = min(owed['left'], parts[owed['buyer']]['interestMinor'])
                parts[owed['buyer']]['interestMinor'] -= move
                parts[owed['seller']]['interestMinor'] += move
                owed['left'] -= move
                PATHS.add('transfer-ACTUALS-interest-moved')
        return parts

    # -- the split --

    def priority_of(self, lender):
        return self.roles[lender]['priority']

    def remainder_rule(self):
        return SPLIT.remainder_rule(self.terms())

    def holdings(self, received=None):
        result = []
        for lid, held in self.outstanding.items():
            h = {'lenderId': lid, 'role': self.roles[lid]['role'], 'outstandingPrincipalMinor': held,
                 'yieldRate': self.roles[lid]['yieldRate'], 'priority': self.roles[lid]['priority']}
            if received is not None:
                h['periodInterestReceivedMinor'] = received.get(lid, 0)
            result.append(h)
        return result

    def terms(self):
        return {'leadLenderId': self.program['leadLenderId'], 'split': self.program['split'],
                'dayCount': self.convention, 'roundingMode': self.mode, 'waterfall': self.program['waterfall']}

    def split(self, covered, prepaid_interest, prepaid_principal, suspense, interest_paid):
        terms = self.terms()
        everything = dict(covered)
        everything['currentInterestMinor'] += prepaid_interest
        everything['currentPrincipalMinor'] += prepaid_principal
        everything['excessMinor'] = suspense
        if self.program['split']['interestBasis'] == 'PRO_RATA':
            result = SPLIT.split_repayment(terms, self.holdings(), everything, None)
            return {r['lenderId']: {k: v for k, v in r.items() if k != 'lenderId'} for r in result['perLender']}
        # LENDER_RATE: principal, penalty and fees in one call, each instalment's interest in its own.
        PATHS.add('lender-rate-per-instalment' if len(interest_paid) > 1 else 'lender-rate')
        base = dict(everything, overdueInterestMinor=0, currentInterestMinor=0)
        any_period = {'start': self.loan['disbursementDate'], 'end': self.loan['disbursementDate']}
        result = SPLIT.split_repayment(terms, self.holdings(), base, any_period)
        parts = {r['lenderId']: {k: v for k, v in r.items() if k != 'lenderId'} for r in result['perLender']}
        for row, amount in interest_paid:
            only_interest = {f: 0 for f in DUES_FIELDS}
            only_interest['currentInterestMinor'] = amount
            only_interest['excessMinor'] = 0
            period = {'start': row['periodStart'].isoformat(), 'end': row['dueDate'].isoformat()}
            share = SPLIT.split_repayment(terms, self.holdings(row['received']), only_interest, period)
            for r in share['perLender']:
                lid = r['lenderId']
                parts[lid]['interestMinor'] += r['interestMinor']
                parts[lid]['spreadMinor'] += r['spreadMinor']
                row['received'][lid] = row['received'].get(lid, 0) + r['interestMinor']
        return parts

    # -- the end --

    def status(self):
        if self.loss is not None:
            return 'WRITTEN_OFF'
        if self.compensated:
            return 'COMPENSATED'
        settled = all(self.fully_paid(r) for r in self.rows) and self.penalty == 0
        return 'PAID_OFF' if settled else 'ACTIVE'

    def result(self):
        return {
            'rows': [{
                'number': i,
                'dueDate': r['dueDate'].isoformat(),
                'periodStart': r['periodStart'].isoformat(),
                'principalMinor': r['principal'],
                'interestMinor': r['interest'],
                'paidPrincipalMinor': r['paidPrincipal'],
                'paidInterestMinor': r['paidInterest'],
                'prepayment': r['prepayment'],
            } for i, r in enumerate(self.rows, start=1)],
            'lenders': [{'lenderId': lid, 'outstandingPrincipalMinor': self.outstanding[lid]}
                        for lid in sorted(self.outstanding)],
            'penaltyOutstandingMinor': self.penalty,
            'suspenseMinor': self.suspense,
            'status': self.status(),
        }


# --- cases ----------------------------------------------------------------------------------

def participant(lender, role, share_bps, priority, yield_rate=None):
    return {'lenderId': lender, 'role': role, 'targetShareBps': share_bps, 'priority': priority,
            'yieldRate': yield_rate}


def cn_participants(yield_a=None, yield_b=None):
    return [participant(LEAD, 'LEAD', 4000, 0), participant(PARTNER_A, 'PARTNER', 3000, 1, yield_a),
            participant(PARTNER_B, 'PARTNER', 3000, 2, yield_b)]


def program_of(profile='CN-2021', currency='CNY', participants=None, basis='PRO_RATA', penalty='PRO_RATA',
               rule='ROUNDING_PARTY', party=None, day_count_name='ACT/360', mode='HALF_UP', multiplier='1.5',
               excess='SUSPENSE', reschedule='LOWER_INSTALMENT', guarantor=None, losses='PRO_RATA', cap_bps=None,
               trigger_dpd=None, covers_interest=True, transfers='RECORD'):
    return {
        'regulatoryProfile': profile,
        'currency': currency,
        'leadLenderId': LEAD,
        'participants': participants or cn_participants(),
        'split': {'interestBasis': basis, 'penalty': penalty, 'fees': 'LEAD', 'remainderRule': rule,
                  'roundingParty': party},
        'fees': {'guarantorLenderId': guarantor},
        'lossSharing': {'method': losses, 'leadFirstLossCapBps': cap_bps, 'guaranteeTriggerDpd': trigger_dpd,
                        'guaranteeCoversInterest': covers_interest},
        'transfers': {'interest': transfers},
        'dayCount': day_count_name,
        'roundingMode': mode,
        'penaltyRateMultiplier': multiplier,
        'prepayment': {'excess': excess, 'reschedule': reschedule},
        'waterfall': list(DEFAULT_WATERFALL),
    }


def cn_plan(principal):
    """Each partner 30% rounded up (never below the CN-2021 floor), the lead the rest."""
    partner = -(-principal * 3 // 10)
    return [{'lenderId': LEAD, 'amountMinor': principal - 2 * partner},
            {'lenderId': PARTNER_A, 'amountMinor': partner}, {'lenderId': PARTNER_B, 'amountMinor': partner}]


def loan_of(principal=1_234_567, rate='0.0888', months=12, method='EQUAL_INSTALLMENT', disbursed='2025-03-15',
            currency='CNY', plan=None):
    return {'loanId': 'LN-GOLDEN-0001', 'principalMinor': principal, 'annualRate': rate, 'termMonths': months,
            'method': method, 'disbursementDate': disbursed, 'currency': currency,
            'fundingPlan': plan or cn_plan(principal)}


# A payment's amount: a number of minor units, or worked out from the account when the payment
# takes effect: DUES (+ extra) pays every due at its value date, ACCRUED (+ extra) also the interest
# accrued on the principal not yet due, PAYOFF (+ extra) that interest and all of that principal.
def dues_plus(extra=0):
    return ('DUES', extra)


def accrued_plus(extra=0):
    return ('ACCRUED', extra)


def payoff_plus(extra=0):
    return ('PAYOFF', extra)


def pay(repayment_id, value_date, amount, kind='REGULAR'):
    return {'repaymentId': repayment_id, 'valueDate': value_date, 'amountMinor': amount, 'kind': kind}


def compensation(event_id, value_date):
    return {'type': 'COMPENSATION', 'eventId': event_id, 'valueDate': value_date}


def write_off(event_id, value_date):
    return {'type': 'WRITE_OFF', 'eventId': event_id, 'valueDate': value_date}


def transfer(event_id, value_date, seller, buyer, principal):
    return {'type': 'TRANSFER', 'eventId': event_id, 'valueDate': value_date, 'fromLenderId': seller,
            'toLenderId': buyer, 'principalMinor': principal}


def case(name, description, arrivals, loan=None, program=None, withheld=None):
    """`arrivals`: the payments and events in the order they reach the loan (`seq`, shared by both).
    `withheld`: why the engine does not yet give this account as the document does; such a case is
    computed and checked but not written, until the engine follows the document."""
    arrivals = [dict(a, seq=i) for i, a in enumerate(arrivals)]
    return {'name': name, 'description': description, 'loan': loan or loan_of(), 'program': program or program_of(),
            'payments': [a for a in arrivals if 'repaymentId' in a],
            'events': [a for a in arrivals if 'eventId' in a], 'withheld': withheld}


GUARANTOR = 'GUARANTOR-1'
PARTNER_C = 'PARTNER-C'


def guaranteed(participants=None, trigger_dpd=90, **settings):
    """A CN-2021 program whose loans a guarantor compensates (at 90 days past due unless told)."""
    return program_of(participants=(participants or cn_participants()) + [participant(GUARANTOR, 'GUARANTOR', None, 9)],
                      guarantor=GUARANTOR, trigger_dpd=trigger_dpd, **settings)


def four_funders(**settings):
    """A CN-2021 program with a third partner that funds no loan at booking (it can buy a part later)."""
    return program_of(participants=[participant(LEAD, 'LEAD', 1000, 0), participant(PARTNER_A, 'PARTNER', 3000, 1),
                                    participant(PARTNER_B, 'PARTNER', 3000, 2),
                                    participant(PARTNER_C, 'PARTNER', 3000, 3)], **settings)


SIX_MONTHS = dict(principal=1_200_000, rate='0.096', months=6)


LR_PARTNERS = cn_participants('0.065', '0.0725')
LR = dict(basis='LENDER_RATE', participants=LR_PARTNERS)

CASES = [
    case('on-time-instalment', 'the first instalment paid exactly on its due date: nothing overdue, no penalty',
         [pay('RP-1', '2025-04-15', dues_plus())]),
    case('paid-before-first-due-date-suspense', '500.00 paid before anything is due goes wholly to suspense; the '
         'first instalment, paid on its due date, is not reduced by it',
         [pay('RP-1', '2025-04-01', 50_000), pay('RP-2', '2025-04-15', dues_plus())]),
    case('partial-interest-first', 'a partial payment on the due date covers the interest first, then part of the '
         'principal; the rest, paid 3 days late, carries penalty on the unpaid principal only (no compound)',
         [pay('RP-1', '2025-04-15', 50_000), pay('RP-2', '2025-04-18', dues_plus())]),
    case('late-9-days-penalty-and-compound', 'the first instalment paid 9 days late: penalty on its principal and '
         'compound interest on its interest at 8.88% x 1.5 over 9 days ACT/360',
         [pay('RP-1', '2025-04-24', dues_plus())]),
    case('late-then-penalty-already-paid', 'a late partial payment pays the penalty, the overdue interest and part '
         'of the principal; the rest 6 days later accrues penalty only from the first payment, on the principal left',
         [pay('RP-1', '2025-04-24', 20_000), pay('RP-2', '2025-04-30', dues_plus())]),
    case('two-instalments-overdue-one-payment', 'the first two instalments paid together 35 days after the first '
         'fell due: penalty and compound over both, rows settled oldest first',
         [pay('RP-1', '2025-05-20', dues_plus())]),
    case('overpayment-to-suspense', 'an instalment paid with 123.45 more than is due: the excess is held in suspense '
         '(program excess SUSPENSE)', [pay('RP-1', '2025-04-15', dues_plus(12_345))]),
    case('prepayment-mid-period-lower-instalment', 'a PREPAYMENT of 3,000.00 on 2 May: the interest accrued since '
         '15 April first, then principal; the 11 rows not yet due are rebuilt smaller, the first accruing daily '
         'from 2 May, and the next instalment is paid on time',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-02', 300_000, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())]),
    case('prepayment-shorter-term-equal-instalment', 'the same PREPAYMENT under SHORTER_TERM: the fewest months whose '
         'level payment is not above the old one',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-02', 300_000, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())],
         program=program_of(reschedule='SHORTER_TERM')),
    case('prepayment-lower-instalment-equal-principal', 'EQUAL_PRINCIPAL under LOWER_INSTALMENT: as many rows, a '
         'smaller principal each',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-02', 300_000, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())],
         loan=loan_of(method='EQUAL_PRINCIPAL')),
    case('program-prepay-on-regular-payment', 'a REGULAR payment with nothing due, under a program whose excess is '
         'PREPAY: an early repayment (25 days of interest, then principal)',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-10', 100_000)],
         program=program_of(excess='PREPAY')),
    case('program-prepay-excess-on-due-date', 'PREPAY: an instalment paid on its due date with 2,000.00 more; the '
         'current period starts that day, so the early repayment carries no interest',
         [pay('RP-1', '2025-04-15', dues_plus(200_000))], program=program_of(excess='PREPAY')),
    case('full-payoff-early', 'a payoff 19 days after the second instalment fell due: penalty, the overdue instalment, '
         'the interest accrued since, all the principal; the loan is settled',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-06-03', payoff_plus(), 'PREPAYMENT')]),
    case('excess-below-accrued-interest', 'a PREPAYMENT of 10.00 when 25 days of interest have accrued: not an early '
         'repayment, it goes to suspense',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-10', 1_000, 'PREPAYMENT')]),
    case('lender-rate-on-time', 'LENDER_RATE: each partner its own yield over the 31 days of the first period, the '
         'lead the rest as spread', [pay('RP-1', '2025-04-15', dues_plus())], program=program_of(**LR)),
    case('lender-rate-partial-then-rest', 'LENDER_RATE: 30.00 on the due date (below the entitlements: a shortfall '
         'split), then the rest the same day: each partner the rest of its entitlement, the lead the spread',
         [pay('RP-1', '2025-04-15', 3_000), pay('RP-2', '2025-04-15', dues_plus())], program=program_of(**LR)),
    case('lender-rate-overdue-and-prepayment', 'LENDER_RATE: two overdue instalments and an early repayment in one '
         'PREPAYMENT: three interest splits, one per row, each with its own period',
         [pay('RP-1', '2025-05-25', dues_plus(400_000), 'PREPAYMENT'), pay('RP-2', '2025-06-15', dues_plus())],
         program=program_of(**LR)),
    case('shorter-term-twice', 'two early repayments under SHORTER_TERM: the second rebuild starts from the rows '
         'the first one built', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-04-25', 150_000, 'PREPAYMENT'),
             pay('RP-3', '2025-05-15', dues_plus()), pay('RP-4', '2025-05-20', 150_000, 'PREPAYMENT'),
             pay('RP-5', '2025-06-15', dues_plus())],
         program=program_of(reschedule='SHORTER_TERM')),
    case('lender-rate-two-prepayments-in-one-period', 'LENDER_RATE: two early repayments in one period, each row\'s '
         'interest split over its own days (15 April to 25 April, 25 April to 5 May), then the rebuilt instalment', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-04-25', 150_000, 'PREPAYMENT'),
             pay('RP-3', '2025-05-05', 150_000, 'PREPAYMENT'), pay('RP-4', '2025-05-15', dues_plus())],
         program=program_of(**LR)),
    case('lender-rate-equal-principal-half-even', 'LENDER_RATE, EQUAL_PRINCIPAL, HALF_EVEN: two early repayments '
         'under LOWER_INSTALMENT, each rebuilding a smaller principal per row', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-04-25', 150_000, 'PREPAYMENT'),
             pay('RP-3', '2025-05-15', dues_plus()), pay('RP-4', '2025-05-20', 150_000, 'PREPAYMENT'),
             pay('RP-5', '2025-06-15', dues_plus())],
         loan=loan_of(method='EQUAL_PRINCIPAL', rate='0.1'), program=program_of(mode='HALF_EVEN', **LR)),
    case('lender-rate-late-on-rebuilt-row', 'LENDER_RATE: the first rebuilt row (25 April to 15 May) paid in part '
         '10 days late; 36 days after it fell due, its rest and the next row, 5 days overdue, with penalty and '
         'compound', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-04-25', 150_000, 'PREPAYMENT'),
             pay('RP-3', '2025-05-25', 50_000), pay('RP-4', '2025-06-20', dues_plus(), 'PREPAYMENT')],
         program=program_of(**LR)),
    case('payments-out-of-order', 'three payments given out of order: the 15 May one first, then two of 20 April '
         '(applied in arrival order); the account is the fold in value-date order',
         [pay('RP-C', '2025-05-15', 120_000), pay('RP-A', '2025-04-20', 60_000), pay('RP-B', '2025-04-20', 60_000)]),
    case('act-365-late-and-prepayment', 'ACT/365: a late instalment (penalty over 365) and a PREPAYMENT whose '
         'accrued interest and rebuilt first period count actual days over 365',
         [pay('RP-1', '2025-04-22', dues_plus()), pay('RP-2', '2025-05-06', 250_000, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())],
         program=program_of(day_count_name='ACT/365')),
    case('thirty-360-month-end-late-and-prepayment', '30/360 on a loan disbursed on 31 December: the second '
         'instalment (28 February) paid on 5 March counts 7 days of penalty; a PREPAYMENT on 20 March accrues '
         '22 days of interest',
         [pay('RP-1', '2025-01-31', dues_plus()), pay('RP-2', '2025-03-05', dues_plus()),
          pay('RP-3', '2025-03-20', 200_000, 'PREPAYMENT'), pay('RP-4', '2025-03-31', dues_plus())],
         loan=loan_of(disbursed='2024-12-31'), program=program_of(day_count_name='30/360')),
    case('half-even-late', 'HALF_EVEN: schedule, penalty and split rounded half to even; an instalment paid 9 days '
         'late, on a principal funded in odd amounts',
         [pay('RP-1', '2025-04-24', dues_plus()), pay('RP-2', '2025-05-15', dues_plus())],
         loan=loan_of(principal=1_000_005, rate='0.105'), program=program_of(mode='HALF_EVEN')),
    case('down-prepayment', 'DOWN: every rounding toward zero, the rounding party takes the remainder; a late '
         'instalment and an early repayment',
         [pay('RP-1', '2025-04-19', dues_plus()), pay('RP-2', '2025-04-28', 333_333, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())],
         loan=loan_of(principal=1_111_111, rate='0.0777'), program=program_of(mode='DOWN')),
    case('largest-remainder', 'LARGEST_REMAINDER: parts rounded down, the fen left over to the largest remainders; '
         'a late instalment, an overpayment and a partial',
         [pay('RP-1', '2025-04-20', dues_plus()), pay('RP-2', '2025-05-15', dues_plus(1)),
          pay('RP-3', '2025-06-15', 7)],
         loan=loan_of(principal=1_000_003, rate='0.0999'), program=program_of(rule='LARGEST_REMAINDER')),
    case('bullet-paid-at-maturity-late', 'a 6-month BULLET loan: a payment before maturity goes to suspense; '
         'principal and interest paid 7 days after maturity with penalty and compound',
         [pay('RP-1', '2025-06-01', 10_000), pay('RP-2', '2025-09-22', dues_plus())],
         loan=loan_of(principal=2_000_000, rate='0.06', months=6, method='BULLET')),
    case('bullet-prepayment-keeps-term', 'a BULLET loan partly repaid early under SHORTER_TERM keeps its maturity; '
         'its one row is rebuilt to accrue daily from the early repayment', [
             pay('RP-1', '2025-05-01', 500_000, 'PREPAYMENT'), pay('RP-2', '2025-09-15', dues_plus())],
         loan=loan_of(principal=2_000_000, rate='0.06', months=6, method='BULLET'),
         program=program_of(reschedule='SHORTER_TERM')),
    case('interest-only-prepayment', 'INTEREST_ONLY partly repaid early under SHORTER_TERM keeps its term: '
         'interest on the principal left, the last row repays it', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-04-25', 400_000, 'PREPAYMENT'),
             pay('RP-3', '2025-05-15', dues_plus())],
         loan=loan_of(principal=1_500_000, rate='0.072', months=6, method='INTEREST_ONLY'),
         program=program_of(reschedule='SHORTER_TERM')),
    case('inr-in-2025-two-lenders', 'IN-2025 in INR: the lead keeps 20%, one partner funds 80%; ACT/365, penalty to '
         'the lead; on time, 12 days late, then an overpayment', [
             pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-27', dues_plus()),
             pay('RP-3', '2025-06-15', dues_plus(77_777))],
         loan=loan_of(principal=25_000_000, rate='0.1425', months=24, currency='INR',
                      plan=[{'lenderId': LEAD, 'amountMinor': 5_000_000},
                            {'lenderId': PARTNER_A, 'amountMinor': 20_000_000}]),
         program=program_of(profile='IN-2025', currency='INR', day_count_name='ACT/365', penalty='LEAD',
                            participants=[participant(LEAD, 'LEAD', 2000, 0),
                                          participant(PARTNER_A, 'PARTNER', 8000, 1)])),

    # The rules of step 4 decided since the first cases.
    case('prepayment-shorter-term-equal-principal', 'EQUAL_PRINCIPAL under SHORTER_TERM: a PREPAYMENT of 3,000.00 '
         'on 2 May leaves 8,364.32 of principal, 8.13 of the old principal per instalment (1,028.81), so the 11 rows '
         'not yet due become 9 (rounded up) of 929.37 each, the last taking the residue',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-02', 300_000, 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())],
         loan=loan_of(method='EQUAL_PRINCIPAL'), program=program_of(reschedule='SHORTER_TERM')),
    case('prepay-on-due-date-regular-month-act-360', 'PREPAY: the second instalment paid on its due date with '
         '2,000.00 more; the next period (15 May to 15 June, 31 days) is exactly a month, so the first rebuilt row '
         'is a regular month (outstanding x rate / 12), not 31 days over 360',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', dues_plus(200_000)),
          pay('RP-3', '2025-06-15', dues_plus())], program=program_of(excess='PREPAY')),
    case('prepay-on-due-date-regular-month-act-365', 'the same under ACT/365: the first rebuilt row is a regular '
         'month, not 31 days over 365',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', dues_plus(200_000)),
          pay('RP-3', '2025-06-15', dues_plus())], program=program_of(excess='PREPAY', day_count_name='ACT/365')),
    case('excess-equal-to-accrued-interest', 'a PREPAYMENT on 10 May of exactly the 25 days of interest accrued: an '
         'early repayment of that interest alone (a row settled with no principal); the 11 rows not yet due are '
         'rebuilt from 10 May on the same principal, the first accruing 5 days',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-10', accrued_plus(), 'PREPAYMENT'),
          pay('RP-3', '2025-05-15', dues_plus())]),
    case('month-end-prepayment-keeps-due-dates', 'a loan disbursed on 31 January (due 28 February, 31 March, '
         '30 April ...): a PREPAYMENT on 10 February rebuilds the rows on the due dates they had, the first '
         'accruing daily from 10 February to 28 February',
         [pay('RP-1', '2025-02-10', 200_000, 'PREPAYMENT'), pay('RP-2', '2025-02-28', dues_plus()),
          pay('RP-3', '2025-03-31', dues_plus()), pay('RP-4', '2025-04-30', dues_plus())],
         loan=loan_of(disbursed='2025-01-31')),

    # Compensation, write-off, share transfer.
    case('compensation-pro-rata-with-interest', 'PRO_RATA: the second instalment paid in part (50.00 of its '
         'interest), nothing after; at 90 days past due the guarantor pays each lender its outstanding principal '
         'and the interest left of the rows due on or before 13 August (three rows), split as a payment would be',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', 5_000), compensation('CP-1', '2025-08-13')],
         program=guaranteed()),
    case('compensation-lender-rate-with-interest', 'LENDER_RATE: 20.00 of the second instalment (a shortfall '
         'split), then a compensation on the due date of the fifth row (92 days past due): each row\'s interest '
         'split on its own period, net of what each partner already received; the spread to the lead is FEE_INCOME',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', 2_000), compensation('CP-1', '2025-08-15')],
         program=guaranteed(basis='LENDER_RATE', participants=LR_PARTNERS)),
    case('compensation-pro-rata-principal-only', 'a program whose guarantee does not cover interest: the guarantor '
         'pays the outstanding principal alone; its claim is that principal',
         [pay('RP-1', '2025-04-15', dues_plus()), compensation('CP-1', '2025-08-13')],
         program=guaranteed(covers_interest=False)),
    case('compensation-lender-rate-principal-only', 'LENDER_RATE, guarantee without interest: principal by '
         'outstanding, no interest, no spread',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', dues_plus()),
          compensation('CP-1', '2025-09-13')],
         program=guaranteed(basis='LENDER_RATE', participants=LR_PARTNERS, covers_interest=False)),
    case('recovery-after-compensation', 'a 6-month loan compensated at 30 days past due; a partial payment goes to '
         'the guarantor (penalty, interest and principal of the rows as the waterfall covers them); after maturity '
         'a payment of every due and 100.00 more: the guarantor takes its claim left, the rest is suspense',
         [pay('RP-1', '2025-04-15', dues_plus()), compensation('CP-1', '2025-06-14'),
          pay('RP-2', '2025-07-01', 50_000), pay('RP-3', '2025-10-01', dues_plus(10_000))],
         loan=loan_of(**SIX_MONTHS), program=guaranteed(trigger_dpd=30)),
    case('write-off-pro-rata', 'PRO_RATA loss sharing: written off at 180 days past due, each lender loses what '
         'it holds; a later payment goes back to the lenders in proportion to their losses',
         [pay('RP-1', '2025-04-15', dues_plus()), write_off('WO-1', '2025-11-11'), pay('RP-2', '2025-12-01', 300_000)]),
    case('write-off-lead-first-loss-cap-binding', 'LEAD_FIRST_LOSS with a cap of 10% of the principal (1,234.56): '
         'the lead absorbs the cap, the rest is divided by outstanding principal (LARGEST_REMAINDER); each partner '
         'loses its part of the rest and the lead pays it the difference',
         [pay('RP-1', '2025-04-15', dues_plus()), write_off('WO-1', '2025-11-11')],
         program=program_of(losses='LEAD_FIRST_LOSS', cap_bps=1000, rule='LARGEST_REMAINDER')),
    case('write-off-lead-first-loss-cap-not-binding', 'LEAD_FIRST_LOSS with a cap of 20% of the principal: only '
         'the last row of a 6-month loan is left, below the cap, so the lead absorbs it all and pays each partner '
         'what it held; a later payment goes to the lead, the only party that lost',
         [pay('RP-1', '2025-04-15', dues_plus()), pay('RP-2', '2025-05-15', dues_plus()),
          pay('RP-3', '2025-06-15', dues_plus()), pay('RP-4', '2025-07-15', dues_plus()),
          pay('RP-5', '2025-08-15', dues_plus()), write_off('WO-1', '2026-03-14'), pay('RP-6', '2026-04-01', 40_000)],
         loan=loan_of(**SIX_MONTHS), program=program_of(losses='LEAD_FIRST_LOSS', cap_bps=2000)),
    case('write-off-after-compensation', 'a compensated loan, 1,000.00 recovered by the guarantor, then written '
         'off: the guarantor\'s claim left is its loss (Dr LOSSES / Cr GUARANTEE_RECEIVABLE)',
         [pay('RP-1', '2025-04-15', dues_plus()), compensation('CP-1', '2025-08-13'), pay('RP-2', '2025-09-01', 100_000),
          write_off('WO-1', '2025-11-11')],
         program=guaranteed()),
    case('recovery-after-compensated-write-off', 'the same loan, and a payment after the write-off: it goes to the '
         'guarantor, the only party that lost (Cr LOSSES)',
         [pay('RP-1', '2025-04-15', dues_plus()), compensation('CP-1', '2025-08-13'), pay('RP-2', '2025-09-01', 100_000),
          write_off('WO-1', '2025-11-11'), pay('RP-3', '2025-12-01', 50_000)],
         program=guaranteed()),
    case('recovery-after-write-off-split-by-losses', 'the lead sells 1,000.00 to partner A, then the loan is written '
         'off PRO_RATA: a payment after it goes back in proportion to the losses, the holdings at the write-off '
         '(LARGEST_REMAINDER), not the funding plan',
         [pay('RP-1', '2025-04-15', dues_plus()), transfer('TR-1', '2025-05-05', LEAD, PARTNER_A, 100_000),
          write_off('WO-1', '2025-11-11'), pay('RP-2', '2025-12-01', 200_001)],
         program=program_of(rule='LARGEST_REMAINDER')),
    case('recovery-after-lead-first-loss-write-off', 'LEAD_FIRST_LOSS (cap 10%): two payments after the write-off '
         'go back to the lead and the partners in proportion to their losses (the lead\'s includes its first loss), '
         'not to their holdings',
         [pay('RP-1', '2025-04-15', dues_plus()), write_off('WO-1', '2025-11-11'), pay('RP-2', '2025-12-01', 123_457),
          pay('RP-3', '2026-01-15', 77_777)],
         program=program_of(losses='LEAD_FIRST_LOSS', cap_bps=1000)),
    case('transfer-record', 'RECORD: the lead sells 1,000.00 to partner A on 5 May; the instalment of 15 May is '
         'split by the holdings at its value date, so the buyer earns the whole period',
         [pay('RP-1', '2025-04-15', dues_plus()), transfer('TR-1', '2025-05-05', LEAD, PARTNER_A, 100_000),
          pay('RP-2', '2025-05-15', dues_plus())]),
    case('transfer-actuals', 'ACTUALS: partner B sells all it holds to partner A on 5 May; when the instalment of '
         '15 May is paid, B\'s 20 days of interest on what it sold move from A\'s interest to B\'s',
         [pay('RP-1', '2025-04-15', dues_plus()), transfer('TR-1', '2025-05-05', PARTNER_B, PARTNER_A, 340_743),
          pay('RP-2', '2025-05-15', dues_plus()), pay('RP-3', '2025-06-15', dues_plus())],
         program=program_of(transfers='ACTUALS')),
    case('transfer-to-new-participant', 'the lead sells a part to partner C, a funding participant of the program '
         'not in the loan: C gets a book and its part of the next instalment',
         [pay('RP-1', '2025-04-15', dues_plus()), transfer('TR-1', '2025-05-05', LEAD, PARTNER_C, 340_743),
          pay('RP-2', '2025-05-15', dues_plus())],
         program=four_funders()),
    case('payment-before-transfer-given-after', 'a transfer on 5 May and the instalment of 15 May arrive, then a '
         'PREPAYMENT valued 1 May: it takes effect before the transfer, split by the holdings before it, and the '
         'transfer and the instalment follow it',
         [pay('RP-1', '2025-04-15', dues_plus()), transfer('TR-1', '2025-05-05', LEAD, PARTNER_A, 100_000),
          pay('RP-3', '2025-05-15', dues_plus()), pay('RP-2', '2025-05-01', 300_000, 'PREPAYMENT')]),
]


def run(spec):
    """Folds the case's payments and events in order of effect (value date, then arrival), resolving
    amounts worked out from the account."""
    account = Account(spec['loan'], spec['program'])
    results = []
    events = []
    arrivals = sorted(spec['payments'] + spec['events'], key=lambda a: (a['valueDate'], a['seq']))
    for a in arrivals:
        if 'eventId' in a:
            events.append(account.apply_event(a))
            continue
        if isinstance(a['amountMinor'], tuple):
            what, extra = a['amountMinor']
            on = date(a['valueDate'])
            probe = copy.deepcopy(account)  # the account just before this payment
            probe.accrue_penalty(on)
            base = {'DUES': lambda: sum(probe.dues(on).values()),
                    'ACCRUED': lambda: sum(probe.dues(on).values()) + probe.accrued_interest(on),
                    'PAYOFF': lambda: probe.payoff_amount(on)}[what]()
            a['amountMinor'] = base + extra
        results.append(account.apply(a))
    return account, results, events


def check(spec, account, results, events):
    """The sums the documents promise, asserted before a case is written."""
    paid = sum(p['amountMinor'] for p in spec['payments'])
    booked = sum(sum(l[k] for k in ('principalMinor', 'interestMinor', 'penaltyMinor', 'feeMinor', 'spreadMinor'))
                 for r in results for l in r['perLender'])
    assert paid == booked + account.recovered + account.suspense
    recovered = sum(part['amountMinor'] for r in results if 'recovery' in r for part in r['recovery']['parts'])
    assert recovered == account.recovered
    principal_paid = sum(l['principalMinor'] for r in results for l in r['perLender'])
    assert principal_paid + account.principal_compensated + account.principal_written_off == \
        spec['loan']['principalMinor'] - sum(account.outstanding.values())
    assert sum(r['principal'] for r in account.rows) == spec['loan']['principalMinor']
    if not account.recovering():
        assert sum(account.outstanding.values()) == sum(account.unpaid_principal(r) for r in account.rows)
    for e in events:
        assert all(l['amountMinor'] > 0 for l in e['legs'])


def main():
    for old in HERE.glob('*.json'):
        old.unlink()
    names = set()
    withheld = []
    for spec in CASES:
        assert spec['name'] not in names, spec['name']
        names.add(spec['name'])
        exercised = set(PATHS)
        account, results, events = run(spec)
        check(spec, account, results, events)
        if spec['withheld']:
            withheld.append(f"{spec['name']}: {spec['withheld']}")
            PATHS.intersection_update(exercised)  # only the cases written count
            continue
        document = {
            'name': spec['name'],
            'description': spec['description'],
            'loan': spec['loan'],
            'program': spec['program'],
            'payments': spec['payments'],
            'events': spec['events'],
            'bookedSchedule': [{
                'number': r['number'], 'dueDate': r['dueDate'], 'periodStart': r['periodStart'],
                'principalMinor': r['principalMinor'], 'interestMinor': r['interestMinor'],
            } for r in account.booked],
            'expected': {'payments': results, 'events': events, 'account': account.result()},
        }
        path = HERE / f"{spec['name']}.json"
        path.write_text(json.dumps(as_json(document), indent=1) + '\n', encoding='utf-8')
    print(f'{len(CASES) - len(withheld)} golden loan accounts written to {HERE.name}/; rules exercised: {sorted(PATHS)}')
    for line in withheld:
        print(f'withheld (computed, not written): {line}')


def as_json(value):
    """Integers become decimal strings (minor units), except counts, priorities and shares."""
    counts = ('number', 'priority', 'termMonths', 'targetShareBps', 'daysPastDueBefore', 'seq',
              'leadFirstLossCapBps', 'guaranteeTriggerDpd')
    if isinstance(value, dict):
        return {k: (v if k in counts else as_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


if __name__ == '__main__':
    main()
