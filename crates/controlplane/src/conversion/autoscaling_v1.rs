//! autoscaling/v1 HorizontalPodAutoscalers over the stored autoscaling/v2
//! ones. v1 knows one metric, the CPU utilization target; as upstream, every
//! other metric, the current metrics, the conditions and the behavior travel
//! in `autoscaling.alpha.kubernetes.io/*` annotations (metrics in v1's
//! MetricSpec shape), so that a write through v1 loses nothing.

use apiserver::conversion::Converter;
use serde_json::{Map, Value, json};

use super::carry;

const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";

/// Converts autoscaling/v2 HorizontalPodAutoscalers to and from v1.
pub struct HorizontalPodAutoscalerV1;

fn object(pairs: Vec<(&str, &Value)>) -> Value {
    Value::Object(pairs.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v.clone())).collect())
}

/// Which half of a metric is converted: the spec's target or the status's
/// current value (v1 prefixes them `target`/`current`).
#[derive(Clone, Copy)]
enum Half {
    Target,
    Current,
}

impl Half {
    fn v2_field(self) -> &'static str {
        match self {
            Half::Target => "target",
            Half::Current => "current",
        }
    }

    fn v1(self, name: &str) -> String {
        let prefix = match self {
            Half::Target => "target",
            Half::Current => "current",
        };
        format!("{prefix}{}{}", name[..1].to_uppercase(), &name[1..])
    }
}

/// A v2 MetricSpec or MetricStatus in v1's shape.
fn metric_to_v1(metric: &Value, half: Half) -> Value {
    let kind = metric["type"].as_str().unwrap_or_default();
    let v = &metric[half.v2_field()];
    let body = match kind {
        "Resource" | "ContainerResource" => {
            let source = &metric[if kind == "Resource" { "resource" } else { "containerResource" }];
            let value = &source[half.v2_field()];
            let mut out = object(vec![("name", &source["name"]), ("container", &source["container"])]);
            out[half.v1("averageUtilization")] = value["averageUtilization"].clone();
            out[half.v1("averageValue")] = value["averageValue"].clone();
            out
        }
        "Pods" => {
            let value = &metric["pods"][half.v2_field()];
            let mut out = object(vec![
                ("metricName", &metric["pods"]["metric"]["name"]),
                ("selector", &metric["pods"]["metric"]["selector"]),
            ]);
            out[half.v1("averageValue")] = value["averageValue"].clone();
            out
        }
        "Object" => {
            let source = &metric["object"];
            let value = &source[half.v2_field()];
            let mut out = object(vec![
                ("target", &source["describedObject"]),
                ("metricName", &source["metric"]["name"]),
                ("selector", &source["metric"]["selector"]),
                ("averageValue", &value["averageValue"]),
            ]);
            out[half.v1("value")] = value["value"].clone();
            out
        }
        "External" => {
            let value = &metric["external"][half.v2_field()];
            let mut out = object(vec![
                ("metricName", &metric["external"]["metric"]["name"]),
                ("metricSelector", &metric["external"]["metric"]["selector"]),
            ]);
            out[half.v1("value")] = value["value"].clone();
            out[half.v1("averageValue")] = value["averageValue"].clone();
            out
        }
        _ => v.clone(),
    };
    let field = lower_first(kind);
    json!({"type": kind, field: strip_nulls(body)})
}

/// A v1-shaped metric back in v2's shape.
fn metric_to_v2(metric: &Value, half: Half) -> Value {
    let kind = metric["type"].as_str().unwrap_or_default();
    let field = lower_first(kind);
    let source = &metric[&field];
    let value = |names: &[&str]| {
        let pairs: Vec<(&str, &Value)> = names.iter().map(|n| (*n, &source[half.v1(n)])).collect();
        let mut out = object(pairs);
        if let Half::Target = half {
            let kind = if !source[half.v1("averageUtilization")].is_null() {
                "Utilization"
            } else if !source[half.v1("averageValue")].is_null() {
                "AverageValue"
            } else {
                "Value"
            };
            out["type"] = json!(kind);
        }
        out
    };
    let body = match kind {
        "Resource" | "ContainerResource" => {
            let mut out = object(vec![("name", &source["name"]), ("container", &source["container"])]);
            out[half.v2_field()] = value(&["averageUtilization", "averageValue"]);
            out
        }
        "Pods" => {
            let mut out =
                json!({"metric": object(vec![("name", &source["metricName"]), ("selector", &source["selector"])])});
            out[half.v2_field()] = value(&["averageValue"]);
            out
        }
        "Object" => {
            let mut out = json!({
                "describedObject": source["target"],
                "metric": object(vec![("name", &source["metricName"]), ("selector", &source["selector"])]),
            });
            let mut v = value(&["value"]);
            if !source["averageValue"].is_null() {
                v["averageValue"] = source["averageValue"].clone();
            }
            out[half.v2_field()] = v;
            out
        }
        "External" => {
            let mut out = json!({"metric": object(vec![("name", &source["metricName"]), ("selector", &source["metricSelector"])])});
            out[half.v2_field()] = value(&["value", "averageValue"]);
            out
        }
        _ => source.clone(),
    };
    json!({"type": kind, field: body})
}

fn lower_first(kind: &str) -> String {
    let mut chars = kind.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn strip_nulls(mut value: Value) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    value
}

fn is_cpu_utilization(metric: &Value, half: Half) -> bool {
    metric["type"] == "Resource"
        && metric["resource"]["name"] == "cpu"
        && !metric["resource"][half.v2_field()]["averageUtilization"].is_null()
        && (matches!(half, Half::Current) || metric["resource"]["target"]["type"] == "Utilization")
}

fn annotate(annotations: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        annotations.insert(key.into(), json!(Value::Array(items).to_string()));
    }
}

fn take_annotation(annotations: &mut Map<String, Value>, key: &str) -> Result<Option<Value>, String> {
    match annotations.remove(key) {
        Some(Value::String(text)) => serde_json::from_str(&text).map(Some).map_err(|e| format!("{key}: {e}")),
        _ => Ok(None),
    }
}

impl Converter for HorizontalPodAutoscalerV1 {
    fn to_served(&self, stored: Value) -> Result<Value, String> {
        let mut metadata = stored["metadata"].clone();
        let mut annotations = metadata["annotations"].as_object().cloned().unwrap_or_default();
        let spec = &stored["spec"];
        let mut out_spec = Map::new();
        for field in ["scaleTargetRef", "minReplicas", "maxReplicas"] {
            carry(spec, field, &mut out_spec, field);
        }
        let metrics = spec["metrics"].as_array().cloned().unwrap_or_default();
        let (cpu, others): (Vec<_>, Vec<_>) = metrics.iter().partition(|m| is_cpu_utilization(m, Half::Target));
        if let Some(cpu) = cpu.first() {
            out_spec.insert(
                "targetCPUUtilizationPercentage".into(),
                cpu["resource"]["target"]["averageUtilization"].clone(),
            );
        }
        annotate(&mut annotations, METRICS, others.iter().map(|m| metric_to_v1(m, Half::Target)).collect());
        if let Some(behavior) = spec.get("behavior").filter(|b| !b.is_null()) {
            annotations.insert(BEHAVIOR.into(), json!(behavior.to_string()));
        }
        let status = &stored["status"];
        let mut out_status = Map::new();
        for field in ["observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"] {
            carry(status, field, &mut out_status, field);
        }
        let current = status["currentMetrics"].as_array().cloned().unwrap_or_default();
        let (cpu, others): (Vec<_>, Vec<_>) = current.iter().partition(|m| is_cpu_utilization(m, Half::Current));
        if let Some(cpu) = cpu.first() {
            out_status.insert(
                "currentCPUUtilizationPercentage".into(),
                cpu["resource"]["current"]["averageUtilization"].clone(),
            );
        }
        annotate(&mut annotations, CURRENT_METRICS, others.iter().map(|m| metric_to_v1(m, Half::Current)).collect());
        annotate(&mut annotations, CONDITIONS, status["conditions"].as_array().cloned().unwrap_or_default());
        if !annotations.is_empty() {
            metadata["annotations"] = Value::Object(annotations);
        }
        let mut out = json!({"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": metadata, "spec": out_spec});
        if !out_status.is_empty() || stored.get("status").is_some() {
            out["status"] = Value::Object(out_status);
        }
        Ok(out)
    }

    fn to_stored(&self, served: Value) -> Result<Value, String> {
        let mut metadata = served["metadata"].clone();
        let mut annotations = metadata["annotations"].as_object().cloned().unwrap_or_default();
        let spec = &served["spec"];
        let mut out_spec = Map::new();
        for field in ["scaleTargetRef", "minReplicas", "maxReplicas"] {
            carry(spec, field, &mut out_spec, field);
        }
        let mut metrics = Vec::new();
        if let Some(percent) = spec.get("targetCPUUtilizationPercentage").filter(|v| !v.is_null()) {
            metrics.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": percent}}}));
        }
        if let Some(Value::Array(others)) = take_annotation(&mut annotations, METRICS)? {
            metrics.extend(others.iter().map(|m| metric_to_v2(m, Half::Target)));
        }
        if !metrics.is_empty() {
            out_spec.insert("metrics".into(), Value::Array(metrics));
        }
        if let Some(behavior) = take_annotation(&mut annotations, BEHAVIOR)? {
            out_spec.insert("behavior".into(), behavior);
        }
        let status = &served["status"];
        let mut out_status = Map::new();
        for field in ["observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"] {
            carry(status, field, &mut out_status, field);
        }
        let mut current = Vec::new();
        if let Some(percent) = status.get("currentCPUUtilizationPercentage").filter(|v| !v.is_null()) {
            current.push(
                json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": percent}}}),
            );
        }
        if let Some(Value::Array(others)) = take_annotation(&mut annotations, CURRENT_METRICS)? {
            current.extend(others.iter().map(|m| metric_to_v2(m, Half::Current)));
        }
        if !current.is_empty() {
            out_status.insert("currentMetrics".into(), Value::Array(current));
        }
        if let Some(conditions) = take_annotation(&mut annotations, CONDITIONS)? {
            out_status.insert("conditions".into(), conditions);
        }
        if annotations.is_empty() {
            metadata.as_object_mut().map(|m| m.remove("annotations"));
        } else {
            metadata["annotations"] = Value::Object(annotations);
        }
        let mut out = json!({"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "metadata": metadata, "spec": out_spec});
        if !out_status.is_empty() || served.get("status").is_some() {
            out["status"] = Value::Object(out_status);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_metrics_survive_a_trip_through_v1() {
        let v2 = json!({
            "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 1, "maxReplicas": 5,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                    {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
                    {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}},
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
            },
            "status": {"currentReplicas": 2, "desiredReplicas": 2,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}],
                "conditions": [{"type": "AbleToScale", "status": "True"}]},
        });
        let v1 = HorizontalPodAutoscalerV1.to_served(v2.clone()).unwrap();
        assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 70);
        assert_eq!(v1["status"]["currentCPUUtilizationPercentage"], 40);
        let metrics: Value = serde_json::from_str(v1["metadata"]["annotations"][METRICS].as_str().unwrap()).unwrap();
        assert_eq!(metrics[0], json!({"type": "Pods", "pods": {"metricName": "qps", "targetAverageValue": "10"}}));
        assert_eq!(HorizontalPodAutoscalerV1.to_stored(v1).unwrap(), v2);
    }
}
