//! The cron schedule syntax CronJobs accept (upstream parses it with
//! robfig/cron's standard parser): five fields, or a descriptor such as
//! `@daily`; the error messages are that parser's.

/// One field's name, range and accepted names.
struct Field {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field { min: 0, max: 59, names: &[] },
    Field { min: 0, max: 23, names: &[] },
    Field { min: 1, max: 31, names: &[] },
    Field {
        min: 1,
        max: 12,
        names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    Field { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const DESCRIPTORS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// Checks a schedule; the error is the parser's message.
pub fn parse(schedule: &str) -> Result<(), String> {
    let schedule = schedule.trim();
    if let Some(rest) = schedule.strip_prefix('@') {
        if DESCRIPTORS.contains(&schedule) {
            return Ok(());
        }
        if let Some(duration) = rest.strip_prefix("every ") {
            return parse_go_duration(duration.trim()).map_err(|_| {
                format!("failed to parse duration {schedule}: time: invalid duration \"{}\"", duration.trim())
            });
        }
        return Err(format!("unrecognized descriptor: {schedule}"));
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    for (text, field) in fields.iter().zip(FIELDS.iter()) {
        for range in text.split(',') {
            parse_range(range, field)?;
        }
    }
    Ok(())
}

fn parse_range(expr: &str, field: &Field) -> Result<(), String> {
    let (range, step) = match expr.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (expr, None),
    };
    let (start, end) = if range == "*" || range == "?" {
        (field.min, field.max)
    } else {
        match range.split_once('-') {
            Some((low, high)) => (value(low, field)?, value(high, field)?),
            None => {
                let v = value(range, field)?;
                (v, if step.is_some() { field.max } else { v })
            }
        }
    };
    if let Some(step) = step {
        let step: u32 = atoi(step)?;
        if step == 0 {
            return Err(format!("step of range should be a positive number: {expr}"));
        }
    }
    if start < field.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", field.min));
    }
    if end > field.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", field.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    Ok(())
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + field.min);
    }
    atoi(text)
}

fn atoi(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("failed to parse int from {text}: strconv.Atoi: parsing \"{text}\": invalid syntax"))
}

/// Go's time.ParseDuration, enough to accept or refuse `@every` values.
fn parse_go_duration(text: &str) -> Result<(), ()> {
    let mut rest = text;
    if rest.is_empty() {
        return Err(());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        if digits == 0 {
            return Err(());
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"].iter().find(|u| rest.starts_with(**u)).ok_or(())?;
        rest = &rest[unit.len()..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_what_cronjobs_accept() {
        for ok in ["*/5 * * * *", "0 0 1 JAN *", "15 3 * * MON-FRI", "@daily", "@every 1h30m", "0-59/15 * ? * *"] {
            assert_eq!(parse(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_with_the_parsers_words() {
        assert_eq!(parse("every minute").unwrap_err(), "expected exactly 5 fields, found 2: [every minute]");
        assert_eq!(parse("61 * * * *").unwrap_err(), "end of range (61) above maximum (59): 61");
        assert_eq!(parse("* * 0 * *").unwrap_err(), "beginning of range (0) below minimum (1): 0");
        assert!(parse("x * * * *").unwrap_err().starts_with("failed to parse int from x"));
    }
}
