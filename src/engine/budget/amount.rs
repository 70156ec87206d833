//! Budget amounts as people type and read them: "200k", "1.5m", "$2.50", "201,344 of 200,000
//! tokens", and a suggested higher budget.

use super::{BudgetKind, Reached};

/// "201,344 of 200,000 tokens" or "$0.5123 of $0.50".
pub fn amounts(r: Reached) -> String {
    match r.kind {
        BudgetKind::Tokens => format!(
            "{} of {} tokens",
            thousands(r.spent as u64),
            thousands(r.limit as u64)
        ),
        BudgetKind::Usd => format!("${:.4} of ${:.2}", r.spent, r.limit),
    }
}

/// 201344 → "201,344".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A token budget as people write it: `200000`, `200k`, `1.5m` (also `_` or `,` as separators).
pub fn parse_tokens(text: &str) -> Result<u64, String> {
    let bad = || format!("'{text}' is not a number of tokens: write e.g. 200000, 200k or 1.5m");
    let t = text.trim().to_ascii_lowercase().replace(['_', ','], "");
    let (number, factor) = match t.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => match t.strip_suffix('m') {
            Some(n) => (n, 1e6),
            None => (t.as_str(), 1.0),
        },
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let tokens = (value * factor).round();
    if !tokens.is_finite() || tokens < 1.0 || tokens > u64::MAX as f64 {
        return Err(format!("a token budget must be at least 1, not '{text}'"));
    }
    Ok(tokens as u64)
}

/// A USD budget: `2`, `2.50` or `$2.50`.
pub fn parse_usd(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value: f64 = t
        .strip_prefix('$')
        .unwrap_or(t)
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an amount in USD: write e.g. 2.50 or $2.50"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("a budget in USD must be more than 0, not '{text}'"));
    }
    Ok(value)
}

/// A budget half again as large as what was spent, rounded up to two significant digits, as
/// a person would type it: "300k", "0.75".
pub fn suggest(kind: BudgetKind, limit: f64, spent: f64) -> String {
    // A limit of 0 (allowed in a team file) with nothing spent still gets a step up.
    let floor = match kind {
        BudgetKind::Tokens => 1000.0,
        BudgetKind::Usd => 0.1,
    };
    let wanted = (limit.max(spent) * 1.5).max(floor);
    let step = 10f64.powf(wanted.log10().floor() - 1.0);
    // The small margin keeps float noise (15.000000000000002) from rounding up a step.
    let value = (wanted / step - 1e-9).ceil() * step;
    match kind {
        BudgetKind::Tokens if value >= 1e6 => format!("{}m", trim(value / 1e6)),
        BudgetKind::Tokens if value >= 1e3 => format!("{}k", trim(value / 1e3)),
        BudgetKind::Tokens => format!("{}", value as u64),
        BudgetKind::Usd => trim(value),
    }
}

/// A number without float noise or trailing zeros: 0.75, 3, 1.5.
fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_budgets_parse_with_suffixes() {
        assert_eq!(parse_tokens("200k"), Ok(200_000));
        assert_eq!(parse_tokens("1.5m"), Ok(1_500_000));
        assert_eq!(parse_tokens("1.5M"), Ok(1_500_000));
        assert_eq!(parse_tokens("250_000"), Ok(250_000));
        assert_eq!(parse_tokens(" 42 "), Ok(42));
        assert!(parse_tokens("lots").unwrap_err().contains("200k"));
        assert!(parse_tokens("0").unwrap_err().contains("at least 1"));
        assert!(parse_tokens("-5k").is_err());
        assert!(parse_tokens("k").is_err());
    }

    #[test]
    fn usd_budgets_parse_with_or_without_a_dollar_sign() {
        assert_eq!(parse_usd("$2.50"), Ok(2.5));
        assert_eq!(parse_usd("2"), Ok(2.0));
        assert!(parse_usd("two").unwrap_err().contains("$2.50"));
        assert!(parse_usd("0").unwrap_err().contains("more than 0"));
        assert!(parse_usd("-1").is_err());
        assert!(parse_usd("inf").is_err());
    }

    #[test]
    fn notices_read_as_sentences_and_suggest_a_higher_budget() {
        let r = Reached {
            kind: BudgetKind::Tokens,
            limit: 200_000.0,
            spent: 201_344.0,
        };
        assert_eq!(amounts(r), "201,344 of 200,000 tokens");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(suggest(BudgetKind::Tokens, 200_000.0, 201_344.0), "310k");
        assert_eq!(suggest(BudgetKind::Tokens, 1_000_000.0, 900.0), "1.5m");
        assert_eq!(suggest(BudgetKind::Usd, 0.5, 0.5123), "0.77");
        assert_eq!(suggest(BudgetKind::Usd, 2.0, 1.0), "3");
        // A limit of 0 with nothing spent: a step that parses.
        assert_eq!(suggest(BudgetKind::Tokens, 0.0, 0.0), "1k");
        assert_eq!(suggest(BudgetKind::Usd, 0.0, 0.0), "0.1");
        assert!(parse_tokens(&suggest(BudgetKind::Tokens, 0.0, 0.0)).is_ok());
        let usd = Reached {
            kind: BudgetKind::Usd,
            limit: 0.5,
            spent: 0.51234,
        };
        assert_eq!(amounts(usd), "$0.5123 of $0.50");
    }
}
