//! The pricing rules, with no I/O: the cart, the storefront's product pages
//! and checkout all price through `quote`, so what a customer is shown is
//! what they are charged.
//!
//! - A product's sale price is the lowest any active sale gives it; sales
//!   never stack with each other.
//! - At most one discount code per order. It applies to the merchandise
//!   after sale prices (leaving out lines on sale when the code says so),
//!   or, for free shipping, to the shipping cost.
//! - Amounts are minor units; a percentage rounds the discount down, so the
//!   customer never pays a fraction of a cent less than advertised.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reward {
    Percentage(i64),
    FixedAmount(i64),
    FreeShipping,
}

impl Reward {
    /// What this reward takes off `base` (never more than `base`).
    fn off(self, base: i64) -> i64 {
        match self {
            Reward::Percentage(percent) => base * percent.clamp(0, 100) / 100,
            Reward::FixedAmount(amount) => amount.clamp(0, base),
            Reward::FreeShipping => 0,
        }
    }
}

/// An active sale and what it covers.
#[derive(Debug, Clone)]
pub struct Sale {
    pub id: Uuid,
    pub name: String,
    pub reward: Reward,
    /// For a fixed amount: the currency it is in; other prices are left alone.
    pub currency: Option<String>,
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub tags: Vec<String>,
}

impl Sale {
    fn covers(&self, product: &Product) -> bool {
        let everything =
            self.product_ids.is_empty() && self.category_ids.is_empty() && self.tags.is_empty();
        everything
            || self.product_ids.contains(&product.id)
            || product.categories.iter().any(|c| self.category_ids.contains(c))
            || product.tags.iter().any(|t| self.tags.contains(t))
    }

    fn applies_in(&self, currency: &str) -> bool {
        self.currency.as_deref().is_none_or(|c| c == currency)
    }
}

/// A product as pricing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub price: i64,
    pub currency: String,
    /// Its category and every category above it.
    pub categories: Vec<String>,
    pub tags: Vec<String>,
}

/// The best sale for a product: (sale price, the sale), or `None` when no
/// sale lowers its price.
pub fn best_sale<'a>(product: &Product, sales: &'a [Sale]) -> Option<(i64, &'a Sale)> {
    sales
        .iter()
        .filter(|s| s.covers(product) && s.applies_in(&product.currency))
        .map(|s| (product.price - s.reward.off(product.price), s))
        .filter(|(price, _)| *price < product.price)
        .min_by_key(|(price, _)| *price)
}

/// A discount code's terms, once it is known to be usable by this customer
/// now (enabled, in its window, uses left).
#[derive(Debug, Clone)]
pub struct CodeTerms {
    pub id: Uuid,
    pub code: String,
    pub reward: Reward,
    pub currency: Option<String>,
    pub minimum_subtotal: Option<i64>,
    pub applies_to_sale_items: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedLine {
    pub product: Product,
    pub quantity: i32,
    /// What one unit costs in this order: the sale price, or the list price.
    pub unit_price: i64,
    pub sale: Option<(Uuid, String)>,
}

impl QuotedLine {
    pub fn total(&self) -> i64 {
        self.unit_price * i64::from(self.quantity)
    }
}

/// What a code takes off: from the merchandise, and whether shipping is free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDiscount {
    pub id: Uuid,
    pub code: String,
    pub merchandise: i64,
    pub free_shipping: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub currency: String,
    pub lines: Vec<QuotedLine>,
    /// Sum of lines at their (sale) unit prices.
    pub subtotal: i64,
    pub code: Option<CodeDiscount>,
}

impl Quote {
    /// Taken off the merchandise by the code (shipping is priced later).
    pub fn merchandise_discount(&self) -> i64 {
        self.code.as_ref().map_or(0, |c| c.merchandise)
    }

    /// The whole discount once shipping costs `shipping`.
    pub fn discount_with_shipping(&self, shipping: i64) -> i64 {
        let shipping_off = match &self.code {
            Some(code) if code.free_shipping => shipping,
            _ => 0,
        };
        self.merchandise_discount() + shipping_off
    }

    /// What the sales took off, per sale: (sale id, name, amount).
    pub fn sale_savings(&self) -> Vec<(Uuid, String, i64)> {
        let mut savings: Vec<(Uuid, String, i64)> = Vec::new();
        for line in &self.lines {
            let Some((id, name)) = &line.sale else { continue };
            let saved = (line.product.price - line.unit_price) * i64::from(line.quantity);
            match savings.iter_mut().find(|(s, _, _)| s == id) {
                Some(entry) => entry.2 += saved,
                None => savings.push((*id, name.clone(), saved)),
            }
        }
        savings
    }
}

/// Why a code gives nothing to this cart; shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeProblem(pub String);

/// Prices `lines` with `sales` and, if given, the code. The lines must be
/// in one currency (checked by the caller, which knows how to say so).
pub fn quote(
    currency: &str,
    lines: Vec<(Product, i32)>,
    sales: &[Sale],
    code: Option<&CodeTerms>,
) -> Result<Quote, CodeProblem> {
    let lines: Vec<QuotedLine> = lines
        .into_iter()
        .map(|(product, quantity)| {
            let (unit_price, sale) = match best_sale(&product, sales) {
                Some((price, sale)) => (price, Some((sale.id, sale.name.clone()))),
                None => (product.price, None),
            };
            QuotedLine { product, quantity, unit_price, sale }
        })
        .collect();
    let subtotal = lines.iter().map(QuotedLine::total).sum();
    let mut quote = Quote { currency: currency.to_owned(), lines, subtotal, code: None };
    if let Some(terms) = code {
        quote.code = Some(apply_code(&quote, terms)?);
    }
    Ok(quote)
}

fn apply_code(quote: &Quote, terms: &CodeTerms) -> Result<CodeDiscount, CodeProblem> {
    if let Some(currency) = &terms.currency
        && *currency != quote.currency
    {
        return Err(CodeProblem(format!(
            "code {} is for orders in {currency}, not {}",
            terms.code, quote.currency
        )));
    }
    if let Some(minimum) = terms.minimum_subtotal
        && quote.subtotal < minimum
    {
        return Err(CodeProblem(format!(
            "code {} needs a subtotal of at least {}",
            terms.code,
            kit::money::Money { amount: minimum, currency: quote.currency.clone() }.format()
        )));
    }
    let base: i64 = quote
        .lines
        .iter()
        .filter(|l| terms.applies_to_sale_items || l.sale.is_none())
        .map(QuotedLine::total)
        .sum();
    if base == 0 && terms.reward != Reward::FreeShipping {
        return Err(CodeProblem(format!(
            "code {} does not apply to items already on sale",
            terms.code
        )));
    }
    Ok(CodeDiscount {
        id: terms.id,
        code: terms.code.clone(),
        merchandise: terms.reward.off(base),
        free_shipping: terms.reward == Reward::FreeShipping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, price: i64, category: &str, tags: &[&str]) -> Product {
        Product {
            id: id.into(),
            name: id.into(),
            price,
            currency: "USD".into(),
            categories: vec![category.into(), "root".into()],
            tags: tags.iter().map(|t| (*t).into()).collect(),
        }
    }

    fn sale(name: &str, reward: Reward, products: &[&str], categories: &[&str]) -> Sale {
        Sale {
            id: Uuid::new_v4(),
            name: name.into(),
            reward,
            currency: matches!(reward, Reward::FixedAmount(_)).then(|| "USD".into()),
            product_ids: products.iter().map(|p| (*p).into()).collect(),
            category_ids: categories.iter().map(|c| (*c).into()).collect(),
            tags: Vec::new(),
        }
    }

    fn code(reward: Reward) -> CodeTerms {
        CodeTerms {
            id: Uuid::new_v4(),
            code: "SAVE".into(),
            reward,
            currency: None,
            minimum_subtotal: None,
            applies_to_sale_items: true,
        }
    }

    #[test]
    fn the_lowest_sale_price_wins_and_sales_never_stack() {
        let mug = product("mug", 1000, "kitchen", &[]);
        let sales = [
            sale("ten off", Reward::Percentage(10), &["mug"], &[]),
            sale("kitchen week", Reward::FixedAmount(250), &[], &["kitchen"]),
        ];
        let (price, winner) = best_sale(&mug, &sales).expect("priced");
        assert_eq!((price, winner.name.as_str()), (750, "kitchen week"));
    }

    #[test]
    fn a_category_sale_covers_the_categories_below_it() {
        let mug = product("mug", 1000, "kitchen", &[]);
        let sales = [sale("everything in root", Reward::Percentage(50), &[], &["root"])];
        assert_eq!(best_sale(&mug, &sales).map(|(p, _)| p), Some(500));
        let elsewhere = [sale("garden", Reward::Percentage(50), &[], &["garden"])];
        assert!(best_sale(&mug, &elsewhere).is_none());
    }

    #[test]
    fn a_fixed_sale_in_another_currency_or_above_the_price_is_bounded() {
        let mut mug = product("mug", 1000, "kitchen", &[]);
        let sales = [sale("big", Reward::FixedAmount(5000), &["mug"], &[])];
        assert_eq!(best_sale(&mug, &sales).map(|(p, _)| p), Some(0));
        mug.currency = "EUR".into();
        assert!(best_sale(&mug, &sales).is_none());
    }

    #[test]
    fn a_percentage_code_applies_after_sale_prices_and_rounds_down() {
        let lines = vec![
            (product("mug", 1000, "kitchen", &[]), 2),
            (product("pen", 333, "office", &[]), 1),
        ];
        let sales = [sale("mugs", Reward::Percentage(20), &["mug"], &[])];
        let quote =
            quote("USD", lines, &sales, Some(&code(Reward::Percentage(10)))).expect("priced");
        assert_eq!(quote.subtotal, 800 * 2 + 333);
        assert_eq!(quote.merchandise_discount(), 1933 / 10);
        assert_eq!(quote.sale_savings()[0].2, 400);
    }

    #[test]
    fn a_code_can_leave_sale_items_out() {
        let lines = vec![
            (product("mug", 1000, "kitchen", &[]), 1),
            (product("pen", 500, "office", &[]), 1),
        ];
        let sales = [sale("mugs", Reward::Percentage(20), &["mug"], &[])];
        let mut terms = code(Reward::Percentage(10));
        terms.applies_to_sale_items = false;
        let quote = quote("USD", lines.clone(), &sales, Some(&terms)).expect("priced");
        assert_eq!(quote.merchandise_discount(), 50);
        let only_sale = vec![lines[0].clone()];
        assert!(super::quote("USD", only_sale, &sales, Some(&terms)).is_err());
    }

    #[test]
    fn minimum_subtotal_and_currency_are_enforced() {
        let lines = vec![(product("mug", 1000, "kitchen", &[]), 1)];
        let mut terms = code(Reward::FixedAmount(500));
        terms.currency = Some("USD".into());
        terms.minimum_subtotal = Some(2000);
        let problem = quote("USD", lines.clone(), &[], Some(&terms)).expect_err("refused");
        assert!(problem.0.contains("at least"), "{problem:?}");
        terms.minimum_subtotal = Some(1000);
        assert_eq!(
            quote("USD", lines.clone(), &[], Some(&terms)).expect("priced").merchandise_discount(),
            500
        );
        terms.currency = Some("EUR".into());
        assert!(quote("USD", lines, &[], Some(&terms)).is_err());
    }

    #[test]
    fn free_shipping_takes_the_shipping_cost_off_and_nothing_else() {
        let lines = vec![(product("mug", 1000, "kitchen", &[]), 1)];
        let quote = quote("USD", lines, &[], Some(&code(Reward::FreeShipping))).expect("priced");
        assert_eq!(quote.merchandise_discount(), 0);
        assert_eq!(quote.discount_with_shipping(899), 899);
    }

    #[test]
    fn a_fixed_code_never_takes_off_more_than_the_merchandise() {
        let lines = vec![(product("pen", 300, "office", &[]), 1)];
        let quote =
            quote("USD", lines, &[], Some(&code(Reward::FixedAmount(1000)))).expect("priced");
        assert_eq!(quote.merchandise_discount(), 300);
    }
}
