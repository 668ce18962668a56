"""OTLP export requests for the hardening tests, in both encodings: the OTLP JSON mapping and
the protobuf wire format (field numbers of opentelemetry-proto v1.x), written by hand with
the standard library so that tests can also build malformed input on purpose.

A request is described once, as plain Python values, and encoded by to_json() or
to_protobuf(). Attribute values are tagged tuples:
  ("s", str) ("i", int) ("d", float, NaN and infinities included) ("b", bool)
  ("kv", [(key, value), ...]) ("arr", [value, ...])
"""
import json
import math
import struct

SIGNAL_PATHS = {"traces": "/v1/traces", "logs": "/v1/logs", "metrics": "/v1/metrics"}
TOP_KEYS = {"traces": ("resourceSpans", "scopeSpans", "spans"),
            "logs": ("resourceLogs", "scopeLogs", "logRecords"),
            "metrics": ("resourceMetrics", "scopeMetrics", "metrics")}

# ------------------------------------------------------------------------ descriptions


def span(name, attrs, trace_id=None, span_id=None, start_ns=0, end_ns=0, status_code=0):
    return {"name": name, "attrs": attrs, "trace_id": trace_id, "span_id": span_id,
            "start": start_ns, "end": end_ns, "status": status_code}


def log_record(event_name, attrs, time_ns=0):
    return {"event_name": event_name, "attrs": attrs, "time": time_ns}


def sum_metric(name, points, temporality=1, monotonic=True):
    """points: [(attrs, value)], value an int (asInt) or a float (asDouble)."""
    return {"name": name, "kind": "sum", "points": points, "temporality": temporality,
            "monotonic": monotonic}


def gauge_metric(name, points):
    return {"name": name, "kind": "gauge", "points": points}


def export_request(signal, resource_attrs, items):
    """One resource with one scope holding `items` (spans, log records or metrics)."""
    return {"signal": signal, "resource": resource_attrs, "items": items}


# -------------------------------------------------------------------------------- JSON


def _json_double(d):
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    return d


def _json_value(v):
    tag, x = v
    if tag == "s":
        return {"stringValue": x}
    if tag == "i":
        return {"intValue": str(x)}
    if tag == "d":
        return {"doubleValue": _json_double(x)}
    if tag == "b":
        return {"boolValue": x}
    if tag == "kv":
        return {"kvlistValue": {"values": _json_attrs(x)}}
    if tag == "arr":
        return {"arrayValue": {"values": [_json_value(e) for e in x]}}
    raise ValueError(tag)


def _json_attrs(attrs):
    return [{"key": k, "value": _json_value(v)} for k, v in attrs]


def _json_item(signal, it):
    if signal == "traces":
        s = {"name": it["name"], "kind": 1, "attributes": _json_attrs(it["attrs"])}
        if it["trace_id"]:
            s["traceId"] = it["trace_id"]
        if it["span_id"]:
            s["spanId"] = it["span_id"]
        if it["start"]:
            s["startTimeUnixNano"] = str(it["start"])
        if it["end"]:
            s["endTimeUnixNano"] = str(it["end"])
        if it["status"]:
            s["status"] = {"code": it["status"]}
        return s
    if signal == "logs":
        r = {"attributes": _json_attrs(it["attrs"]), "body": {"stringValue": it["event_name"]}}
        if it["time"]:
            r["timeUnixNano"] = str(it["time"])
        return r
    points = []
    for attrs, val in it["points"]:
        p = {"attributes": _json_attrs(attrs), "timeUnixNano": "1"}
        if isinstance(val, float):
            p["asDouble"] = _json_double(val)
        else:
            p["asInt"] = str(val)
        points.append(p)
    if it["kind"] == "sum":
        return {"name": it["name"], "sum": {"dataPoints": points,
                                            "aggregationTemporality": it["temporality"],
                                            "isMonotonic": it["monotonic"]}}
    return {"name": it["name"], "gauge": {"dataPoints": points}}


def to_json(req):
    top, scope, items = TOP_KEYS[req["signal"]]
    doc = {top: [{"resource": {"attributes": _json_attrs(req["resource"])},
                  scope: [{"scope": {"name": "hostile"},
                           items: [_json_item(req["signal"], it) for it in req["items"]]}]}]}
    return json.dumps(doc, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- protobuf


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(field, wire_type):
    return varint((field << 3) | wire_type)


def pb_len(field, data):
    return tag(field, 2) + varint(len(data)) + data


def pb_varint(field, v):
    return tag(field, 0) + varint(v)


def pb_fixed64(field, v):
    return tag(field, 1) + struct.pack("<Q", v)


def pb_double(field, d):
    return tag(field, 1) + struct.pack("<d", d)


def pb_str(field, s):
    return pb_len(field, s.encode("utf-8") if isinstance(s, str) else s)


def _pb_value(v):
    t, x = v
    if t == "s":
        return pb_str(1, x)
    if t == "b":
        return pb_varint(2, 1 if x else 0)
    if t == "i":
        return pb_varint(3, x)
    if t == "d":
        return pb_double(4, x)
    if t == "arr":
        return pb_len(5, b"".join(pb_len(1, _pb_value(e)) for e in x))
    if t == "kv":
        return pb_len(6, b"".join(pb_len(1, _pb_kv(k, e)) for k, e in x))
    raise ValueError(t)


def _pb_kv(key, v):
    return pb_str(1, key) + pb_len(2, _pb_value(v))


def _pb_attrs(field, attrs):
    return b"".join(pb_len(field, _pb_kv(k, v)) for k, v in attrs)


def _pb_item(signal, it):
    if signal == "traces":
        out = b""
        if it["trace_id"]:
            out += pb_len(1, bytes.fromhex(it["trace_id"]))
        if it["span_id"]:
            out += pb_len(2, bytes.fromhex(it["span_id"]))
        out += pb_str(5, it["name"]) + pb_varint(6, 1)
        if it["start"]:
            out += pb_fixed64(7, it["start"])
        if it["end"]:
            out += pb_fixed64(8, it["end"])
        out += _pb_attrs(9, it["attrs"])
        if it["status"]:
            out += pb_len(15, pb_varint(3, it["status"]))
        return out
    if signal == "logs":
        out = pb_fixed64(1, it["time"]) if it["time"] else b""
        return out + pb_len(5, _pb_value(("s", it["event_name"]))) + _pb_attrs(6, it["attrs"])
    parts = []  # joined once: appending to bytes in the loop is quadratic
    for attrs, val in it["points"]:
        p = pb_fixed64(3, 1)
        p += pb_double(4, val) if isinstance(val, float) else tag(6, 1) + struct.pack("<q", val)
        parts.append(pb_len(1, p + _pb_attrs(7, attrs)))
    points = b"".join(parts)
    if it["kind"] == "sum":
        body = points + pb_varint(2, it["temporality"]) + pb_varint(3, 1 if it["monotonic"] else 0)
        return pb_str(1, it["name"]) + pb_len(7, body)
    return pb_str(1, it["name"]) + pb_len(5, points)


def to_protobuf(req):
    """Export*ServiceRequest with one Resource*: the whole body is one top-level field, so
    cutting it anywhere inside leaves a length that runs past the end (always invalid)."""
    sig = req["signal"]
    items = b"".join(pb_len(2, _pb_item(sig, it)) for it in req["items"])
    scoped = pb_len(1, pb_str(1, "hostile")) + items
    resource = pb_len(1, _pb_attrs(1, req["resource"])) + pb_len(2, scoped)
    return pb_len(1, resource)


def nested_kvlist_protobuf(signal, depth):
    """A request whose resource has one attribute nested `depth` kvlists deep."""
    v = ("s", "leaf")
    value = _pb_value(v)
    for _ in range(depth):
        value = pb_len(6, pb_len(1, pb_str(1, "k") + pb_len(2, value)))
    attr = pb_len(1, pb_str(1, "deep") + pb_len(2, value))
    resource = pb_len(1, attr)
    return pb_len(1, resource)


def nested_kvlist_json(signal, depth):
    """The same as nested_kvlist_protobuf, in JSON."""
    top = TOP_KEYS[signal][0]
    value = ('{"kvlistValue":{"values":[{"key":"k","value":' * depth + '{"stringValue":"leaf"}'
             + "}]}}" * depth)
    return ('{"%s":[{"resource":{"attributes":[{"key":"deep","value":%s}]}}]}'
            % (top, value)).encode()
