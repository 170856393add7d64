use kit::AppError;

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A validated postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub is_default: Option<bool>,
}

pub struct RawAddress<'a> {
    pub name: &'a str,
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub region: Option<&'a str>,
    pub postal_code: &'a str,
    pub country: &'a str,
    pub phone: Option<&'a str>,
    pub is_default: Option<bool>,
}

impl NewAddress {
    pub fn parse(raw: RawAddress<'_>) -> Result<Self, AppError> {
        let country = raw.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !COUNTRIES.split(' ').any(|c| c == country) {
            return Err(AppError::bad_input(format!(
                "country `{}` is not an ISO 3166-1 alpha-2 code",
                raw.country.trim()
            )));
        }
        let phone = optional("phone", raw.phone)?;
        if let Some(phone) = &phone
            && !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(AppError::bad_input("phone may contain only digits, spaces and + - ( ) ."));
        }
        Ok(Self {
            name: required("name", raw.name)?,
            line1: required("line1", raw.line1)?,
            line2: optional("line2", raw.line2)?,
            city: required("city", raw.city)?,
            region: optional("region", raw.region)?,
            postal_code: required("postalCode", raw.postal_code)?,
            country,
            phone,
            is_default: raw.is_default,
        })
    }
}

const MAX_FIELD: usize = 200;

fn required(field: &str, value: &str) -> Result<String, AppError> {
    optional(field, Some(value))?
        .ok_or_else(|| AppError::bad_input(format!("`{field}` must not be empty")))
}

fn optional(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > MAX_FIELD => {
            Err(AppError::bad_input(format!("`{field}` must be at most {MAX_FIELD} characters")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(country: &'static str, line1: &'static str) -> RawAddress<'static> {
        RawAddress {
            name: "Ada",
            line1,
            line2: Some("  "),
            city: "London",
            region: None,
            postal_code: "N1 9GU",
            country,
            phone: Some("+44 20 7946 0000"),
            is_default: None,
        }
    }

    #[test]
    fn normalises_country_and_blank_optionals() {
        let address = NewAddress::parse(raw("gb", "1 Main St")).expect("valid");
        assert_eq!(address.country, "GB");
        assert_eq!(address.line2, None);
    }

    #[test]
    fn rejects_unknown_countries_and_missing_lines() {
        assert!(NewAddress::parse(raw("XX", "1 Main St")).is_err());
        assert!(NewAddress::parse(raw("GBR", "1 Main St")).is_err());
        assert!(NewAddress::parse(raw("GB", "   ")).is_err());
    }
}
