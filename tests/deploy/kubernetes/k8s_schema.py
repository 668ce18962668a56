"""Strict JSON Schemas of Kubernetes kinds, derived from Debian's python3-kubernetes.

The python3-kubernetes models (package 22.6.0 in Debian 12: the Kubernetes 1.22 API) are
generated from the Kubernetes OpenAPI spec: each model class lists its fields
(`attribute_map`: Python name -> JSON name, `openapi_types`: Python name -> type) and its
setters reject a missing required field. This module turns a model into a JSON Schema
(draft 7) that is strict like `kubectl apply --validate=strict`: an unknown field, a wrong
type or a missing required field is an error. IntOrString and other free-form values
(`object`) accept anything.

Nothing here is copied from the spec: the schema is built from the installed package.
"""
import inspect
import re

from kubernetes.client import models

# (apiVersion, kind) -> model class name.
KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Namespace"): "V1Namespace",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
}

_REQUIRED = re.compile(r"client_side_validation and (\w+) is None")
_SCALARS = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string"},
    "date": {"type": "string"},
    "object": {},
}


def _type_schema(type_name, defs):
    if type_name in _SCALARS:
        return dict(_SCALARS[type_name])
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        return {"type": "array", "items": _type_schema(m.group(1), defs)}
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        return {"type": "object", "additionalProperties": _type_schema(m.group(1), defs)}
    _model_schema(type_name, defs)
    return {"$ref": "#/definitions/" + type_name}


def _model_schema(class_name, defs):
    if class_name in defs:
        return
    cls = getattr(models, class_name)
    defs[class_name] = {}  # placeholder: models refer to themselves (JSONSchemaProps)
    required = sorted(cls.attribute_map[a] for a in set(_REQUIRED.findall(inspect.getsource(cls)))
                      if a in cls.attribute_map)
    props = {cls.attribute_map[a]: _type_schema(t, defs) for a, t in cls.openapi_types.items()}
    schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    defs[class_name] = schema


def schema_for(api_version, kind):
    """The JSON Schema of (apiVersion, kind), or None when the kind is not known here."""
    class_name = KINDS.get((api_version, kind))
    if class_name is None:
        return None
    defs = {}
    _model_schema(class_name, defs)
    root = dict(defs[class_name])
    root["properties"] = dict(root["properties"])
    root["properties"]["apiVersion"] = {"const": api_version}
    root["properties"]["kind"] = {"const": kind}
    root["required"] = sorted(set(root.get("required", [])) | {"apiVersion", "kind", "metadata"})
    root["definitions"] = defs
    return root
