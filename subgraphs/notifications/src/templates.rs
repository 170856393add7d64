//! Message templates: `{{variable}}` placeholders, checked when an admin
//! saves a template and again when a message is rendered.

use std::collections::HashMap;

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationChannel {
    Email,
    Sms,
    Push,
    InApp,
}

impl NotificationChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
            Self::Push => "PUSH",
            Self::InApp => "IN_APP",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub key: String,
    pub channel: NotificationChannel,
    pub subject: Option<String>,
    pub body: String,
}

/// Every template key and the variables its messages can use.
pub const KEYS: &[(&str, &[&str])] = &[
    ("user.registered", &["name", "email"]),
    ("user.password_reset", &["name", "email", "token", "expiresAt"]),
    ("order.placed", &["name", "orderNumber", "total"]),
    ("order.paid", &["name", "orderNumber", "total"]),
    ("payment.action_required", &["name", "orderNumber"]),
    ("payment.failed", &["name", "orderNumber", "reason"]),
    ("order.shipped", &["name", "orderNumber"]),
    ("order.delivered", &["name", "orderNumber"]),
    ("payment.refunded", &["name", "orderNumber", "amount"]),
];

pub fn variables_of(key: &str) -> Option<&'static [&'static str]> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, vars)| *vars)
}

/// Why a template cannot be saved or rendered; the message is for people.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError(pub String);

/// Checks a template before it is saved: a known key, balanced
/// placeholders, only the key's variables, and a subject for email.
pub fn validate(template: &Template) -> Result<(), TemplateError> {
    let Some(allowed) = variables_of(&template.key) else {
        let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        return Err(TemplateError(format!(
            "unknown template key `{}`; known keys: {}",
            template.key,
            keys.join(", ")
        )));
    };
    if template.channel == NotificationChannel::Email
        && template.subject.as_deref().is_none_or(|s| s.trim().is_empty())
    {
        return Err(TemplateError("an EMAIL template needs a subject".into()));
    }
    if template.body.trim().is_empty() {
        return Err(TemplateError("the body is empty".into()));
    }
    for text in template.subject.iter().chain([&template.body]) {
        for name in placeholders(text)? {
            if !allowed.contains(&name) {
                return Err(TemplateError(format!(
                    "`{{{{{name}}}}}` is not available to `{}`; use one of: {}",
                    template.key,
                    allowed.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Fills in `text`'s placeholders from `values`.
pub fn render(text: &str, values: &HashMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    for segment in segments(text)? {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Placeholder(name) => out.push_str(
                values
                    .get(name)
                    .ok_or_else(|| TemplateError(format!("no value for `{{{{{name}}}}}`")))?,
            ),
        }
    }
    Ok(out)
}

fn placeholders(text: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(segments(text)?
        .into_iter()
        .filter_map(|s| match s {
            Segment::Placeholder(name) => Some(name),
            Segment::Text(_) => None,
        })
        .collect())
}

enum Segment<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits `text` into literal text and `{{ name }}` placeholders.
fn segments(text: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        segments.push(Segment::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let end =
            after.find("}}").ok_or_else(|| TemplateError("a `{{` has no matching `}}`".into()))?;
        segments.push(Segment::Placeholder(after[..end].trim()));
        rest = &after[end + 2..];
    }
    segments.push(Segment::Text(rest));
    Ok(segments)
}

/// The templates a new installation starts with.
pub fn defaults() -> Vec<Template> {
    use NotificationChannel::{Email, InApp, Push, Sms};
    let t = |key: &str, channel, subject: Option<&str>, body: &str| Template {
        key: key.into(),
        channel,
        subject: subject.map(Into::into),
        body: body.into(),
    };
    vec![
        t(
            "user.registered",
            Email,
            Some("Welcome to Shopgraph, {{name}}"),
            "Hi {{name}},\n\nYour account for {{email}} is ready. Happy shopping!",
        ),
        t(
            "user.password_reset",
            Email,
            Some("Reset your Shopgraph password"),
            "Hi {{name}},\n\nUse this code to reset your password: {{token}}\nIt expires at {{expiresAt}}. If you did not ask for it, ignore this email.",
        ),
        t(
            "order.placed",
            Email,
            Some("We received order {{orderNumber}}"),
            "Hi {{name}},\n\nThanks for your order {{orderNumber}} ({{total}}). We will let you know when it ships.",
        ),
        t("order.placed", InApp, None, "Order {{orderNumber}} placed ({{total}})."),
        t(
            "order.paid",
            Email,
            Some("Payment received for {{orderNumber}}"),
            "Hi {{name}},\n\nWe received your payment of {{total}} for order {{orderNumber}}.",
        ),
        t("order.paid", InApp, None, "Payment received for order {{orderNumber}}."),
        t(
            "payment.action_required",
            Email,
            Some("Confirm your payment for {{orderNumber}}"),
            "Hi {{name}},\n\nYour bank asks you to confirm the payment for order {{orderNumber}}. Open the order in Shopgraph to confirm it; we keep your items until then.",
        ),
        t(
            "payment.action_required",
            InApp,
            None,
            "Confirm the payment for order {{orderNumber}} with your bank.",
        ),
        t(
            "payment.failed",
            Email,
            Some("Payment failed for {{orderNumber}}"),
            "Hi {{name}},\n\nWe could not take payment for order {{orderNumber}}: {{reason}}.",
        ),
        t("payment.failed", InApp, None, "Payment failed for order {{orderNumber}}: {{reason}}."),
        t(
            "order.shipped",
            Email,
            Some("Order {{orderNumber}} has shipped"),
            "Hi {{name}},\n\nGood news: order {{orderNumber}} is on its way.",
        ),
        t("order.shipped", Push, None, "Order {{orderNumber}} has shipped."),
        t("order.shipped", InApp, None, "Order {{orderNumber}} has shipped."),
        t(
            "order.delivered",
            Email,
            Some("Order {{orderNumber}} was delivered"),
            "Hi {{name}},\n\nOrder {{orderNumber}} was delivered. Enjoy!",
        ),
        t("order.delivered", Sms, None, "Shopgraph: order {{orderNumber}} was delivered."),
        t("order.delivered", InApp, None, "Order {{orderNumber}} was delivered."),
        t(
            "payment.refunded",
            Email,
            Some("Refund for {{orderNumber}}"),
            "Hi {{name}},\n\nWe refunded {{amount}} for order {{orderNumber}}.",
        ),
        t("payment.refunded", InApp, None, "Refunded {{amount}} for order {{orderNumber}}."),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_template_is_valid() {
        for template in defaults() {
            assert_eq!(validate(&template), Ok(()), "{template:?}");
        }
    }

    #[test]
    fn rendering_fills_placeholders_and_names_what_is_missing() {
        let values = HashMap::from([("name", "Ada".to_owned())]);
        assert_eq!(render("Hi {{ name }}!", &values).as_deref(), Ok("Hi Ada!"));
        assert_eq!(
            render("{{oops}}", &values),
            Err(TemplateError("no value for `{{oops}}`".into()))
        );
        assert!(render("Hi {{name", &values).is_err());
    }

    #[test]
    fn saving_refuses_unknown_keys_variables_and_subjectless_email() {
        let mut template = defaults().remove(0);
        template.body = "{{token}}".into();
        assert!(validate(&template).expect_err("refused").0.contains("not available"));
        template.key = "nope".into();
        assert!(validate(&template).expect_err("refused").0.contains("unknown template key"));
        let mut email = defaults().remove(0);
        email.subject = None;
        assert!(validate(&email).is_err());
    }
}
