//! Exact money and quantities: integer minor units with a currency, integer
//! thousandths for quantities, and the conversions between them.

use std::fmt;
use std::str::FromStr;

use crate::error::{CoreError, Result};

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII capitals.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
            | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl FromStr for Currency {
    type Err = CoreError;
    fn from_str(text: &str) -> Result<Self> {
        let bytes = text.trim().as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_alphabetic) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(CoreError::invalid(
                "currency",
                format!("{text:?} is not a 3-letter code"),
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of one currency in its minor unit (cents, fils, yen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(CoreError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    fn same_currency(self, other: Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CoreError::CurrencyMismatch {
                expected: self.currency.to_string(),
                found: other.currency.to_string(),
            })
        }
    }

    /// Parses a decimal text like `"2.55"` in the currency's minor unit.
    pub fn parse(text: &str, currency: Currency) -> Result<Money> {
        let minor = parse_scaled(text, currency.exponent()).map_err(|problem| CoreError::invalid("amount", problem))?;
        Ok(Money::new(minor, currency))
    }

    /// Converts into `target` at `rate_micros` (target units per one unit of
    /// this currency, times 1,000,000), rounding half away from zero.
    pub fn convert(self, target: Currency, rate_micros: i64) -> Result<Money> {
        if rate_micros <= 0 {
            return Err(CoreError::invalid("exchange rate", "must be positive"));
        }
        let from_scale = 10i128.pow(self.currency.exponent());
        let to_scale = 10i128.pow(target.exponent());
        // Amount and rate are both typed in: their product can pass i128.
        let numerator = i128::from(self.minor)
            .checked_mul(i128::from(rate_micros))
            .and_then(|scaled| scaled.checked_mul(to_scale))
            .ok_or(CoreError::Overflow)?;
        let denominator = 1_000_000 * from_scale;
        let minor = div_round_half_away(numerator, denominator);
        Ok(Money::new(
            i64::try_from(minor).map_err(|_| CoreError::Overflow)?,
            target,
        ))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            format_scaled(self.minor, self.currency.exponent()),
            self.currency
        )
    }
}

/// A quantity in thousandths of its unit (pieces, kg, litres).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Qty(pub i64);

impl Qty {
    pub const ONE: Qty = Qty(1000);

    /// `n` whole units; saturates at the i64 range (use [`Qty::parse`] for
    /// typed input, which reports overflow).
    pub fn units(n: i64) -> Qty {
        Qty(n.saturating_mul(1000))
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    /// Parses `"1.5"` as 1500 thousandths.
    pub fn parse(text: &str) -> Result<Qty> {
        parse_scaled(text, 3)
            .map(Qty)
            .map_err(|problem| CoreError::invalid("quantity", problem))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_scaled(self.0, 3);
        let trimmed = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        f.write_str(trimmed)
    }
}

/// `qty × unit price` in minor units, rounded half away from zero.
pub fn line_amount(qty: Qty, unit_price_minor: i64) -> Result<i64> {
    let amount = div_round_half_away(i128::from(qty.0) * i128::from(unit_price_minor), 1000);
    i64::try_from(amount).map_err(|_| CoreError::Overflow)
}

/// `amount × basis points / 10,000`, rounded half away from zero.
pub fn apply_basis_points(amount_minor: i64, basis_points: u32) -> Result<i64> {
    let part = div_round_half_away(i128::from(amount_minor) * i128::from(basis_points), 10_000);
    i64::try_from(part).map_err(|_| CoreError::Overflow)
}

pub(crate) fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

/// Parses a plain decimal (`-12.5`, `3`, `0.125`) into an integer scaled by
/// `10^exponent`. More decimals than the scale holds is an error, not a
/// silent rounding.
pub(crate) fn parse_scaled(text: &str, exponent: u32) -> std::result::Result<i64, String> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(format!("{text:?} is not a number"));
    }
    if fraction.len() > exponent as usize {
        return Err(format!("{text:?} has more than {exponent} decimals"));
    }
    let scale = 10i64.pow(exponent);
    let whole_value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| format!("{text:?} is too large"))?
    };
    let fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse::<i64>()
            .map_err(|_| format!("{text:?} is not a number"))?
            * 10i64.pow(exponent - fraction.len() as u32)
    };
    let value = whole_value
        .checked_mul(scale)
        .and_then(|scaled| scaled.checked_add(fraction_value))
        .ok_or_else(|| format!("{text:?} is too large"))?;
    Ok(if negative { -value } else { value })
}

/// Formats an integer scaled by `10^exponent` as a plain decimal.
pub(crate) fn format_scaled(value: i64, exponent: u32) -> String {
    if exponent == 0 {
        return value.to_string();
    }
    let scale = 10u64.pow(exponent);
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = exponent as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    #[test]
    fn parses_and_formats_amounts() {
        assert_eq!(Money::parse("2.55", eur()).unwrap().minor, 255);
        assert_eq!(Money::parse("-0.5", eur()).unwrap().minor, -50);
        assert_eq!(Money::parse("7", "JPY".parse().unwrap()).unwrap().minor, 7);
        assert!(Money::parse("2.555", eur()).is_err());
        assert!(Money::parse("abc", eur()).is_err());
        assert!(Money::parse("", eur()).is_err());
        assert_eq!(Money::new(-1234, eur()).to_string(), "-12.34 EUR");
        assert_eq!(Money::new(5, "KWD".parse().unwrap()).to_string(), "0.005 KWD");
    }

    #[test]
    fn converts_between_exponents() {
        // 1 USD = 150.25 JPY: 10.00 USD -> 1503 JPY (1502.5 rounds away from zero).
        let usd = Money::new(1000, "USD".parse().unwrap());
        let yen = usd.convert("JPY".parse().unwrap(), 150_250_000).unwrap();
        assert_eq!(yen.minor, 1503);
        // 1 EUR = 0.305 KWD -> 2.00 EUR = 0.610 KWD.
        let kwd = Money::new(200, eur()).convert("KWD".parse().unwrap(), 305_000).unwrap();
        assert_eq!(kwd.minor, 610);
    }

    #[test]
    fn huge_amounts_at_huge_rates_overflow_cleanly() {
        let huge = Money::new(i64::MAX, "KWD".parse().unwrap());
        assert_eq!(huge.convert(eur(), i64::MAX).unwrap_err().code(), "overflow");
        let jpy_to_kwd = Money::new(i64::MAX, "JPY".parse().unwrap()).convert("KWD".parse().unwrap(), 1_000_000);
        assert_eq!(jpy_to_kwd.unwrap_err().code(), "overflow");
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let usd = Money::new(1, "USD".parse().unwrap());
        assert_eq!(
            Money::new(1, eur()).checked_add(usd).unwrap_err().code(),
            "currency_mismatch"
        );
    }

    #[test]
    fn quantities_display_without_trailing_zeros() {
        assert_eq!(Qty::parse("1.5").unwrap(), Qty(1500));
        assert_eq!(Qty(1500).to_string(), "1.5");
        assert_eq!(Qty(2000).to_string(), "2");
        assert_eq!(Qty(-125).to_string(), "-0.125");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(value in any::<i64>().prop_filter("not min", |v| *v != i64::MIN), exponent in 0u32..4) {
            prop_assert_eq!(parse_scaled(&format_scaled(value, exponent), exponent).unwrap(), value);
        }

        #[test]
        fn addition_is_exact_and_reversible(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let sum = Money::new(a, eur()).checked_add(Money::new(b, eur())).unwrap();
            prop_assert_eq!(sum.checked_sub(Money::new(b, eur())).unwrap().minor, a);
            prop_assert_eq!(sum, Money::new(b, eur()).checked_add(Money::new(a, eur())).unwrap());
        }

        #[test]
        fn conversion_error_is_under_half_a_minor_unit(minor in -1_000_000_000i64..1_000_000_000, rate in 1i64..10_000_000_000) {
            let converted = Money::new(minor, eur()).convert("USD".parse().unwrap(), rate).unwrap();
            // Exact value times 2,000,000 versus the rounded result times 2,000,000.
            let exact_twice = i128::from(minor) * i128::from(rate) * 2;
            let rounded_twice = i128::from(converted.minor) * 2_000_000;
            prop_assert!((exact_twice - rounded_twice).abs() <= 1_000_000);
        }

        #[test]
        fn line_amount_is_linear_in_whole_units(units in -10_000i64..10_000, price in -1_000_000i64..1_000_000) {
            prop_assert_eq!(line_amount(Qty::units(units), price).unwrap(), units * price);
        }
    }
}
