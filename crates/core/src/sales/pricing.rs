//! The arithmetic of a sale, without IO: line amounts, line and whole-sale
//! discounts, tax, settling payments in several currencies with change,
//! and the refund of a returned quantity. Integer minor units throughout.
//!
//! Order of operations, per line: `gross = qty × unit price` (rounded half
//! away from zero); minus the line's own discount; minus its share of the
//! whole-sale discount (spread over lines in proportion to their amounts
//! after line discounts, largest remainders first, so shares add up
//! exactly); `tax = net × rate` (prices exclude tax, tax is rounded per
//! line); `line total = net + tax`. The sale's total is the sum of the line
//! totals, so `total = subtotal − discount + tax` holds exactly.

use stockroom_protocol::ops::PaymentMethod;

use crate::error::{CoreError, Result};
use crate::money::{apply_basis_points, div_round_half_away, line_amount, Currency, Money, Qty};

/// One unit of the payment currency is worth exactly one unit of the sale's.
pub const SAME_CURRENCY_RATE_MICROS: i64 = 1_000_000;

/// A discount on a line or on the whole sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// A share of the amount: 1000 = 10 %. At most 10,000.
    BasisPoints(u32),
    /// A fixed amount in the sale's currency, at most the amount discounted.
    Amount(Money),
}

/// A payment the clerk takes, in the sale's currency or another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    pub method: PaymentMethod,
    /// Positive, in the currency handed over.
    pub amount: Money,
    /// Sale-currency units per unit of `amount`'s currency, times 1,000,000;
    /// required when the currencies differ, else `None`.
    pub rate_micros: Option<i64>,
}

impl PaymentRequest {
    /// A payment in the sale's own currency.
    pub fn new(method: PaymentMethod, amount: Money) -> PaymentRequest {
        PaymentRequest {
            method,
            amount,
            rate_micros: None,
        }
    }

    /// A payment in another currency at the rate the till applied.
    pub fn converted(method: PaymentMethod, amount: Money, rate_micros: i64) -> PaymentRequest {
        PaymentRequest {
            method,
            amount,
            rate_micros: Some(rate_micros),
        }
    }
}

/// What the amounts of one line are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineInput {
    pub unit_price_minor: i64,
    pub qty: Qty,
    pub tax_rate_bp: u32,
    pub discount: Option<Discount>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineAmounts {
    pub gross_minor: i64,
    /// The line's own discount plus its share of the whole-sale discount.
    pub discount_minor: i64,
    /// `gross − discount`, before tax.
    pub net_minor: i64,
    pub tax_minor: i64,
    /// `net + tax`.
    pub total_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SaleAmounts {
    pub lines: Vec<LineAmounts>,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// A payment checked and converted into the sale's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SettledPayment {
    pub method: PaymentMethod,
    pub amount: Money,
    pub rate_micros: i64,
    pub doc_amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settlement {
    pub payments: Vec<SettledPayment>,
    /// Cash handed back, in the sale's currency.
    pub change_minor: i64,
}

fn add(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b).ok_or(CoreError::Overflow)
}

fn sub(a: i64, b: i64) -> Result<i64> {
    a.checked_sub(b).ok_or(CoreError::Overflow)
}

/// The amount `discount` takes off `base_minor` (which is not negative).
fn discount_off(discount: Discount, base_minor: i64, currency: Currency, field: &'static str) -> Result<i64> {
    match discount {
        Discount::BasisPoints(basis_points) => {
            if basis_points > 10_000 {
                return Err(CoreError::invalid(field, "more than 100 %"));
            }
            apply_basis_points(base_minor, basis_points)
        }
        Discount::Amount(amount) => {
            if amount.currency != currency {
                return Err(CoreError::CurrencyMismatch {
                    expected: currency.to_string(),
                    found: amount.currency.to_string(),
                });
            }
            if amount.minor < 0 {
                return Err(CoreError::invalid(field, "must not be negative"));
            }
            if amount.minor > base_minor {
                return Err(CoreError::invalid(
                    field,
                    format!(
                        "{amount} is more than the {} it applies to",
                        Money::new(base_minor, currency)
                    ),
                ));
            }
            Ok(amount.minor)
        }
    }
}

/// Splits `amount` (0 ≤ amount ≤ Σ weights, weights ≥ 0) in proportion to
/// `weights`: each share is rounded down, then the units left over go to
/// the largest remainders (earlier lines first on ties). The shares add up
/// to `amount` exactly and none exceeds its weight.
pub(crate) fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total_weight: i128 = weights.iter().map(|weight| i128::from(*weight)).sum();
    if total_weight == 0 || amount == 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = i128::from(amount) * i128::from(*weight);
        shares.push((exact / total_weight) as i64);
        remainders.push((exact % total_weight, index));
    }
    let left_over = amount - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders.into_iter().take(left_over as usize) {
        shares[index] += 1;
    }
    shares
}

/// The amounts of a sale, as described at the top of this file.
pub(crate) fn sale_amounts(
    currency: Currency,
    lines: &[LineInput],
    sale_discount: Option<Discount>,
) -> Result<SaleAmounts> {
    let mut gross = Vec::with_capacity(lines.len());
    let mut after_line_discount = Vec::with_capacity(lines.len());
    let mut line_discount = Vec::with_capacity(lines.len());
    for line in lines {
        if line.qty.milli() <= 0 {
            return Err(CoreError::invalid("quantity", "must be positive"));
        }
        if line.unit_price_minor < 0 {
            return Err(CoreError::invalid("price", "must not be negative"));
        }
        let line_gross = line_amount(line.qty, line.unit_price_minor)?;
        let off = match line.discount {
            Some(discount) => discount_off(discount, line_gross, currency, "line discount")?,
            None => 0,
        };
        gross.push(line_gross);
        line_discount.push(off);
        after_line_discount.push(sub(line_gross, off)?);
    }
    let before_sale_discount = after_line_discount
        .iter()
        .try_fold(0, |sum, amount| add(sum, *amount))?;
    let sale_off = match sale_discount {
        Some(discount) => discount_off(discount, before_sale_discount, currency, "sale discount")?,
        None => 0,
    };
    let shares = allocate(sale_off, &after_line_discount);

    let mut amounts = SaleAmounts {
        lines: Vec::with_capacity(lines.len()),
        subtotal_minor: 0,
        discount_minor: 0,
        tax_minor: 0,
        total_minor: 0,
    };
    for (index, line) in lines.iter().enumerate() {
        let discount_minor = add(line_discount[index], shares[index])?;
        let net_minor = sub(gross[index], discount_minor)?;
        let tax_minor = apply_basis_points(net_minor, line.tax_rate_bp)?;
        let total_minor = add(net_minor, tax_minor)?;
        amounts.subtotal_minor = add(amounts.subtotal_minor, gross[index])?;
        amounts.discount_minor = add(amounts.discount_minor, discount_minor)?;
        amounts.tax_minor = add(amounts.tax_minor, tax_minor)?;
        amounts.total_minor = add(amounts.total_minor, total_minor)?;
        amounts.lines.push(LineAmounts {
            gross_minor: gross[index],
            discount_minor,
            net_minor,
            tax_minor,
            total_minor,
        });
    }
    Ok(amounts)
}

/// Checks the payments of a sale of `total_minor` in `currency` and works
/// out the change. Every payment is converted into the sale's currency at
/// its rate (rounded half away from zero). They must cover the total;
/// change is given only for cash, so card, wallet and account payments
/// together may not exceed the total. Account payments are in the sale's
/// currency.
pub(crate) fn settle(currency: Currency, total_minor: i64, payments: &[PaymentRequest]) -> Result<Settlement> {
    let mut settled = Vec::with_capacity(payments.len());
    let mut paid_minor = 0i64;
    let mut non_cash_minor = 0i64;
    for payment in payments {
        if payment.amount.minor <= 0 {
            return Err(CoreError::invalid("payment", "amounts must be positive"));
        }
        let (rate_micros, doc_amount_minor) = if payment.amount.currency == currency {
            match payment.rate_micros {
                None | Some(SAME_CURRENCY_RATE_MICROS) => (SAME_CURRENCY_RATE_MICROS, payment.amount.minor),
                Some(_) => {
                    return Err(CoreError::invalid(
                        "exchange rate",
                        "a payment in the sale's currency takes no rate",
                    ))
                }
            }
        } else {
            if payment.method == PaymentMethod::Account {
                return Err(CoreError::CurrencyMismatch {
                    expected: currency.to_string(),
                    found: payment.amount.currency.to_string(),
                });
            }
            let rate_micros = payment.rate_micros.ok_or_else(|| {
                CoreError::invalid(
                    "exchange rate",
                    format!("needed for a payment in {}", payment.amount.currency),
                )
            })?;
            (rate_micros, payment.amount.convert(currency, rate_micros)?.minor)
        };
        paid_minor = add(paid_minor, doc_amount_minor)?;
        if payment.method != PaymentMethod::Cash {
            non_cash_minor = add(non_cash_minor, doc_amount_minor)?;
        }
        settled.push(SettledPayment {
            method: payment.method,
            amount: payment.amount,
            rate_micros,
            doc_amount_minor,
        });
    }
    if paid_minor < total_minor {
        return Err(CoreError::Underpaid {
            total: Money::new(total_minor, currency),
            paid: Money::new(paid_minor, currency),
            missing: Money::new(total_minor - paid_minor, currency),
        });
    }
    if non_cash_minor > total_minor {
        return Err(CoreError::invalid(
            "payment",
            format!(
                "card, wallet and account payments exceed the total by {}; only cash gives change",
                Money::new(non_cash_minor - total_minor, currency)
            ),
        ));
    }
    Ok(Settlement {
        payments: settled,
        change_minor: paid_minor - total_minor,
    })
}

/// The refund for returning `qty_now` more of a sale line of `line_qty`
/// costing `line_total_minor`, when `qty_before` was returned earlier for
/// `refunded_before_minor`. Refunds are cumulative shares of the line
/// total, so all returns of a whole line add up to its total exactly.
pub(crate) fn refund_for(
    line_total_minor: i64,
    line_qty: Qty,
    qty_before: Qty,
    refunded_before_minor: i64,
    qty_now: Qty,
) -> Result<i64> {
    let qty_after = qty_before
        .milli()
        .checked_add(qty_now.milli())
        .ok_or(CoreError::Overflow)?;
    if qty_now.milli() <= 0 || qty_after > line_qty.milli() {
        return Err(CoreError::invalid(
            "return quantity",
            format!(
                "{} of {} left to return",
                Qty(line_qty.milli() - qty_before.milli()),
                line_qty
            ),
        ));
    }
    let refunded_after = div_round_half_away(
        i128::from(line_total_minor) * i128::from(qty_after),
        i128::from(line_qty.milli()),
    );
    let refunded_after = i64::try_from(refunded_after).map_err(|_| CoreError::Overflow)?;
    sub(refunded_after, refunded_before_minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    fn line(unit_price_minor: i64, qty: Qty, tax_rate_bp: u32, discount: Option<Discount>) -> LineInput {
        LineInput {
            unit_price_minor,
            qty,
            tax_rate_bp,
            discount,
        }
    }

    #[test]
    fn allocation_is_exact_and_proportional() {
        assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(allocate(100, &[300, 100]), vec![75, 25]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allocate(5, &[0, 0]), vec![0, 0]);
        // 7 × 2/3 = 4.67, 7 × 1/3 = 2.33: floors 4 + 2, the extra unit to the larger remainder.
        assert_eq!(allocate(7, &[2, 1]), vec![5, 2]);
    }

    #[test]
    fn discounts_then_tax_per_line() {
        // Line 1: 3 × 4.99 = 14.97, 10 % off = 1.497 → 1.50, leaves 13.47.
        // Line 2: 0.5 kg × 7.00 = 3.50, no line discount.
        // Sale discount 2.00 over 13.47 : 3.50 (16.97): 2 × 1347/1697 = 1.5875 → 1.58 (+1 by remainder .75 → 1.59),
        //   2 × 350/1697 = 0.4125 → 0.41; 1.59 + 0.41 = 2.00.
        // Net: 13.47 − 1.59 = 11.88, tax 20 % = 2.376 → 2.38, total 14.26.
        //      3.50 − 0.41 = 3.09, tax 5.5 % = 0.16995 → 0.17, total 3.26.
        let amounts = sale_amounts(
            eur(),
            &[
                line(499, Qty::units(3), 2000, Some(Discount::BasisPoints(1000))),
                line(700, Qty(500), 550, None),
            ],
            Some(Discount::Amount(Money::new(200, eur()))),
        )
        .unwrap();
        assert_eq!(
            amounts.lines,
            vec![
                LineAmounts {
                    gross_minor: 1497,
                    discount_minor: 150 + 159,
                    net_minor: 1188,
                    tax_minor: 238,
                    total_minor: 1426
                },
                LineAmounts {
                    gross_minor: 350,
                    discount_minor: 41,
                    net_minor: 309,
                    tax_minor: 17,
                    total_minor: 326
                },
            ]
        );
        assert_eq!(amounts.subtotal_minor, 1847);
        assert_eq!(amounts.discount_minor, 350);
        assert_eq!(amounts.tax_minor, 255);
        assert_eq!(amounts.total_minor, 1752);
    }

    #[test]
    fn discounts_must_fit() {
        let over = sale_amounts(
            eur(),
            &[line(100, Qty::ONE, 0, Some(Discount::Amount(Money::new(101, eur()))))],
            None,
        );
        assert_eq!(over.unwrap_err().code(), "invalid_input");
        let over_100_percent = sale_amounts(
            eur(),
            &[line(100, Qty::ONE, 0, None)],
            Some(Discount::BasisPoints(10_001)),
        );
        assert_eq!(over_100_percent.unwrap_err().code(), "invalid_input");
        let usd = sale_amounts(
            eur(),
            &[line(100, Qty::ONE, 0, None)],
            Some(Discount::Amount(Money::new(1, "USD".parse().unwrap()))),
        );
        assert_eq!(usd.unwrap_err().code(), "currency_mismatch");
        let free = sale_amounts(
            eur(),
            &[line(100, Qty::ONE, 2000, None)],
            Some(Discount::BasisPoints(10_000)),
        )
        .unwrap();
        assert_eq!(free.total_minor, 0);
    }

    #[test]
    fn settling_gives_cash_change_only() {
        let cash = |minor| PaymentRequest::new(PaymentMethod::Cash, Money::new(minor, eur()));
        let card = |minor| PaymentRequest::new(PaymentMethod::Card, Money::new(minor, eur()));
        assert_eq!(
            settle(eur(), 1000, &[card(400), cash(2000)]).unwrap().change_minor,
            1400
        );
        assert_eq!(settle(eur(), 1000, &[card(1001)]).unwrap_err().code(), "invalid_input");
        match settle(eur(), 1000, &[card(400), cash(500)]).unwrap_err() {
            CoreError::Underpaid { missing, .. } => assert_eq!(missing, Money::new(100, eur())),
            other => panic!("expected underpaid, got {other:?}"),
        }
        let foreign_without_rate = PaymentRequest::new(PaymentMethod::Cash, Money::new(1000, "USD".parse().unwrap()));
        assert_eq!(
            settle(eur(), 1000, &[foreign_without_rate]).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(settle(eur(), 0, &[]).unwrap().change_minor, 0);
    }

    #[test]
    fn refunds_add_up_to_the_line_total() {
        // 3 pieces for 10.00: 3.33, then 3.34 (6.67 − 3.33), then 3.33 (10.00 − 6.67).
        let first = refund_for(1000, Qty::units(3), Qty(0), 0, Qty::ONE).unwrap();
        let second = refund_for(1000, Qty::units(3), Qty::ONE, first, Qty::ONE).unwrap();
        let third = refund_for(1000, Qty::units(3), Qty::units(2), first + second, Qty::ONE).unwrap();
        assert_eq!((first, second, third), (333, 334, 333));
        assert!(refund_for(1000, Qty::units(3), Qty::units(3), 1000, Qty::ONE).is_err());
    }

    proptest! {
        #[test]
        fn totals_are_the_sum_of_their_parts(
            lines in prop::collection::vec((0i64..100_000, 1i64..20_000, 0u32..3000, 0u32..10_001), 1..6),
            sale_discount_bp in 0u32..10_001,
        ) {
            let inputs: Vec<LineInput> = lines
                .iter()
                .map(|(price, qty, tax, discount)| line(*price, Qty(*qty), *tax, Some(Discount::BasisPoints(*discount))))
                .collect();
            let amounts = sale_amounts(eur(), &inputs, Some(Discount::BasisPoints(sale_discount_bp))).unwrap();
            prop_assert_eq!(amounts.total_minor, amounts.subtotal_minor - amounts.discount_minor + amounts.tax_minor);
            prop_assert_eq!(amounts.total_minor, amounts.lines.iter().map(|line| line.total_minor).sum::<i64>());
            prop_assert!(amounts.lines.iter().all(|line| line.net_minor >= 0 && line.tax_minor >= 0));
        }

        #[test]
        fn returning_in_pieces_refunds_the_line_total(total in 0i64..1_000_000, pieces in prop::collection::vec(1i64..5000, 1..8)) {
            let line_qty = Qty(pieces.iter().sum());
            let mut before = 0;
            let mut refunded = 0;
            for piece in &pieces {
                refunded += refund_for(total, line_qty, Qty(before), refunded, Qty(*piece)).unwrap();
                before += piece;
            }
            prop_assert_eq!(refunded, total);
        }
    }
}
