//! Table output (meta.k8s.io/v1 Table) as `kubectl get` asks for it: the
//! columns upstream's printers define per kind, and one row per object.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

/// One column of a Table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header, e.g. `Ready`.
    pub name: Cow<'static, str>,
    /// `string`, `integer`, `date`, ...
    pub column_type: Cow<'static, str>,
    /// A refinement of the type: `name` for the Name column, a custom
    /// resource column's format.
    pub format: Cow<'static, str>,
    /// 0 for the default view, 1 or more for `-o wide` only.
    pub priority: i64,
    /// What the column shows.
    pub description: Cow<'static, str>,
}

impl Column {
    /// A column of the default view.
    pub const fn new(name: &'static str, column_type: &'static str, description: &'static str) -> Self {
        Column {
            name: Cow::Borrowed(name),
            column_type: Cow::Borrowed(column_type),
            format: Cow::Borrowed(""),
            priority: 0,
            description: Cow::Borrowed(description),
        }
    }

    /// A column shown only with `-o wide`.
    pub const fn wide(name: &'static str, column_type: &'static str, description: &'static str) -> Self {
        Column {
            name: Cow::Borrowed(name),
            column_type: Cow::Borrowed(column_type),
            format: Cow::Borrowed(""),
            priority: 1,
            description: Cow::Borrowed(description),
        }
    }
}

/// The Name column every table starts with.
pub const NAME: Column = Column {
    name: Cow::Borrowed("Name"),
    column_type: Cow::Borrowed("string"),
    format: Cow::Borrowed("name"),
    priority: 0,
    description: Cow::Borrowed("Name must be unique within a namespace."),
};
/// The Age column.
pub const AGE: Column = Column::new(
    "Age",
    "string",
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

/// Turns objects of one kind into table rows.
pub trait TableConvertor: Send + Sync {
    /// The column definitions.
    fn columns(&self) -> Vec<Column>;
    /// The cells of one object's row, one per column.
    fn cells(&self, object: &Value) -> Vec<Value>;
}

/// Upstream's default for kinds without a printer: Name and Created At.
pub struct DefaultTable;

impl TableConvertor for DefaultTable {
    fn columns(&self) -> Vec<Column> {
        vec![
            NAME,
            Column::new(
                "Created At",
                "date",
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
            ),
        ]
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        vec![json!(name_of(object)), object["metadata"]["creationTimestamp"].clone()]
    }
}

/// A table with Name, the given columns from a closure, and Age last.
pub struct Columns<F> {
    /// Columns between Name and Age (and wide ones after Age).
    pub columns: Vec<Column>,
    /// The cells for those columns.
    pub cells: F,
}

impl<F: Fn(&Value) -> Vec<Value> + Send + Sync> TableConvertor for Columns<F> {
    fn columns(&self) -> Vec<Column> {
        let mut columns = vec![NAME];
        columns.extend(self.columns.iter().filter(|c| c.priority == 0).cloned());
        columns.push(AGE);
        columns.extend(self.columns.iter().filter(|c| c.priority > 0).cloned());
        columns
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        let values = (self.cells)(object);
        let mut row = vec![json!(name_of(object))];
        let mut wide = Vec::new();
        for (column, value) in self.columns.iter().zip(values) {
            if column.priority == 0 { row.push(value) } else { wide.push(value) }
        }
        row.push(json!(age(object)));
        row.extend(wide);
        row
    }
}

/// How one cell of a [`Printer`] is computed from the object.
pub type Cell = Box<dyn Fn(&Value) -> Value + Send + Sync>;

/// A kind's printer, as upstream's printers.go defines one: the columns in
/// the order kubectl shows them (wide-only ones where upstream puts them),
/// each with its cell.
pub struct Printer {
    columns: Vec<(Column, Cell)>,
}

impl Default for Printer {
    fn default() -> Self {
        Printer::new()
    }
}

impl Printer {
    /// A printer that starts with the Name column.
    pub fn new() -> Self {
        Printer { columns: Vec::new() }.column(NAME, |o| json!(name_of(o)))
    }

    /// Adds a column.
    pub fn column(mut self, column: Column, cell: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        self.columns.push((column, Box::new(cell)));
        self
    }

    /// Adds a column of the default view.
    pub fn add(
        self,
        name: &'static str,
        description: &'static str,
        cell: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.column(Column::new(name, "string", description), cell)
    }

    /// Adds a column shown only with `-o wide`.
    pub fn wide(
        self,
        name: &'static str,
        description: &'static str,
        cell: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.column(Column::wide(name, "string", description), cell)
    }

    /// Adds the Age column.
    pub fn age(self) -> Self {
        self.column(AGE, |o| json!(age(o)))
    }

    /// Adds columns through a function shared by several printers (the
    /// pod-template columns of workloads).
    pub fn apply(self, add: impl FnOnce(Self) -> Self) -> Self {
        add(self)
    }

    /// Replaces the Name cell (a default StorageClass is "name (default)").
    pub fn name_cell(mut self, cell: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        self.columns[0].1 = Box::new(cell);
        self
    }
}

impl TableConvertor for Printer {
    fn columns(&self) -> Vec<Column> {
        self.columns.iter().map(|(c, _)| c.clone()).collect()
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        self.columns.iter().map(|(_, cell)| cell(object)).collect()
    }
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// The object's age as kubectl prints it (`5s`, `3m`, `2d`), from
/// `metadata.creationTimestamp`.
pub fn age(object: &Value) -> String {
    let Some(created) = object["metadata"]["creationTimestamp"].as_str() else { return "<unknown>".into() };
    let Ok(created) = humantime_parse(created) else { return "<unknown>".into() };
    human_duration(SystemTime::now().duration_since(created).unwrap_or_default())
}

fn humantime_parse(timestamp: &str) -> Result<SystemTime, ()> {
    parse_rfc3339(timestamp).ok_or(())
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (fractions and offsets tolerated).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// kubectl's short human durations (upstream's HumanDuration).
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (minutes, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 120 {
        format!("{secs}s")
    } else if minutes < 10 {
        let s = secs % 60;
        if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") }
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        let m = minutes % 60;
        if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 { format!("{days}d") } else { format!("{days}d{h}h") }
    } else if hours < 24 * 365 * 2 {
        format!("{days}d")
    } else if hours < 24 * 365 * 8 {
        let y = days / 365;
        let rest = days % 365;
        if rest == 0 { format!("{y}y") } else { format!("{y}y{rest}d") }
    } else {
        format!("{}y", days / 365)
    }
}

/// What each Table row carries besides its cells (`?includeObject=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// Nothing.
    None,
    /// The object's metadata as PartialObjectMetadata (upstream's default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the query parameter.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Builds the Table object for a list of objects.
pub fn to_table(
    convertor: &dyn TableConvertor,
    objects: &[Value],
    resource_version: &str,
    continue_token: Option<&str>,
    include: IncludeObject,
) -> Value {
    let columns: Vec<Value> = convertor
        .columns()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.column_type,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({"cells": convertor.cells(object)});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => row["object"] = partial_metadata(object),
                IncludeObject::Object => row["object"] = object.clone(),
            }
            row
        })
        .collect();
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns, "rows": rows})
}

/// The object as a meta.k8s.io/v1 PartialObjectMetadata.
pub fn partial_metadata(object: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(Duration::from_secs(5)), "5s");
        assert_eq!(human_duration(Duration::from_secs(190)), "3m10s");
        assert_eq!(human_duration(Duration::from_secs(3600 * 5 + 60 * 7)), "5h7m");
        assert_eq!(human_duration(Duration::from_secs(86_400 * 3)), "3d");
    }

    #[test]
    fn timestamps_parse() {
        let t = parse_rfc3339("1970-01-02T00:00:01Z").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 86_401);
    }
}
