"""The query and EC2 protocols, walked along botocore's shapes: form parameters in, XML out.

Requests are ``Action=...&Version=...`` form parameters, nested as botocore's query serializer
nests them: ``Names.member.1`` (query) or ``Filter.1.Value.1`` (EC2: no ``member``, names from
``queryName`` or the capitalised ``locationName``), maps as ``Tags.entry.1.key``. Responses are
``<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>`` (query) or
``<ActionResponse><requestId>...`` (EC2), element names taken from the model as botocore's XML
parsers read them; errors are ``<ErrorResponse><Error><Code>`` (query) and
``<Response><Errors><Error><Code>`` (EC2).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from fleetops.server.aws.documents import missing, parse_timestamp, wrong_type


def read_params(shape: Any, params: dict[str, str], *, ec2: bool, prefix: str = "") -> Any:
    """The value of ``shape`` found under ``prefix`` in the form ``params``."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = _join(prefix, _query_name(member, name, ec2=ec2))
            if _present(params, key):
                out[name] = read_params(member, params, ec2=ec2, prefix=key)
        for name in shape.required_members:
            member = shape.members[name]
            if name not in out and member.type_name == "structure" and not member.required_members:
                out[name] = {}  # an empty structure (``'{}'``) has no parameter to send
            elif name not in out:
                raise missing(_join(prefix, _query_name(member, name, ec2=ec2)))
        return out
    if kind == "list":
        base = _list_prefix(shape, prefix, ec2=ec2)
        return [
            read_params(shape.member, params, ec2=ec2, prefix=f"{base}.{index}")
            for index in _indices(params, base)
        ]
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        return {
            read_params(shape.key, params, ec2=ec2, prefix=f"{base}.{i}.{key_name}"): read_params(
                shape.value, params, ec2=ec2, prefix=f"{base}.{i}.{value_name}"
            )
            for i in _indices(params, base)
        }
    text = params.get(prefix)
    if text is None:
        raise missing(prefix)
    return _scalar(kind, text, prefix)


def _scalar(kind: str, text: str, where: str) -> Any:
    if kind == "boolean":
        if text not in ("true", "false"):
            raise wrong_type(where, "true or false", text)
        return text == "true"
    if kind in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", text):
            raise wrong_type(where, "an integer", text)
        return int(text)
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError as err:
            raise wrong_type(where, "a number", text) from err
    if kind == "timestamp":
        return parse_timestamp(text, where)
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error as err:
            raise wrong_type(where, "base64", text) from err
    return text


def _query_name(member: Any, name: str, *, ec2: bool) -> str:
    if ec2:
        query_name = member.serialization.get("queryName")
        if query_name:
            return str(query_name)
        location = member.serialization.get("name")
        return str(location[0].upper() + location[1:]) if location else name
    return str(member.serialization.get("name", name))


def _list_prefix(shape: Any, prefix: str, *, ec2: bool) -> str:
    if ec2:
        return prefix
    if shape.serialization.get("flattened"):
        member_name = shape.member.serialization.get("name")
        if member_name:
            return ".".join([*prefix.split(".")[:-1], member_name])
        return prefix
    return f"{prefix}.{shape.member.serialization.get('name', 'member')}"


def _present(params: dict[str, str], key: str) -> bool:
    return key in params or any(name.startswith(key + ".") for name in params)


def _indices(params: dict[str, str], base: str) -> list[int]:
    found = set()
    for name in params:
        if name.startswith(base + "."):
            head = name[len(base) + 1 :].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# -- responses ----------------------------------------------------------------------------------


def response_xml(operation: Any, output: dict[str, Any], request_id: str, *, ec2: bool) -> bytes:
    """The XML body of a successful call of ``operation`` answering ``output``."""
    namespace = operation.service_model.metadata.get("xmlNamespace")
    root = ElementTree.Element(f"{operation.name}Response", {"xmlns": namespace} if namespace else {})
    shape = operation.output_shape
    if ec2:
        ElementTree.SubElement(root, "requestId").text = request_id
        if shape is not None:
            _write_members(root, shape, output)
    else:
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        if shape is not None:
            parent = ElementTree.SubElement(root, wrapper) if wrapper else root
            _write_members(parent, shape, output)
        metadata = ElementTree.SubElement(root, "ResponseMetadata")
        ElementTree.SubElement(metadata, "RequestId").text = request_id
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def error_xml(code: str, message: str, request_id: str, *, sender: bool, ec2: bool) -> bytes:
    """The XML body of an error."""
    if ec2:
        root = ElementTree.Element("Response")
        error = ElementTree.SubElement(ElementTree.SubElement(root, "Errors"), "Error")
        ElementTree.SubElement(error, "Code").text = code
        ElementTree.SubElement(error, "Message").text = message
        ElementTree.SubElement(root, "RequestID").text = request_id
    else:
        root = ElementTree.Element("ErrorResponse")
        error = ElementTree.SubElement(root, "Error")
        ElementTree.SubElement(error, "Type").text = "Sender" if sender else "Receiver"
        ElementTree.SubElement(error, "Code").text = code
        ElementTree.SubElement(error, "Message").text = message
        ElementTree.SubElement(root, "RequestId").text = request_id
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def _write_members(parent: ElementTree.Element, shape: Any, value: dict[str, Any]) -> None:
    unknown = set(value) - set(shape.members)
    if unknown:
        raise KeyError(f"{shape.name} has no member {sorted(unknown)}")
    for name, item in value.items():
        if item is None:
            continue
        member = shape.members[name]
        if member.type_name == "list" and member.serialization.get("flattened"):
            element_name = member.member.serialization.get("name") or member.serialization.get("name", name)
            for entry in item:
                _write(ElementTree.SubElement(parent, element_name), member.member, entry)
        else:
            _write(ElementTree.SubElement(parent, member.serialization.get("name", name)), member, item)


def _write(element: ElementTree.Element, shape: Any, value: Any) -> None:
    kind = shape.type_name
    if kind == "structure":
        _write_members(element, shape, value)
    elif kind == "list":
        child = shape.member.serialization.get("name", "member")
        for entry in value:
            _write(ElementTree.SubElement(element, child), shape.member, entry)
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        for key, item in value.items():
            entry = ElementTree.SubElement(element, "entry")
            _write(ElementTree.SubElement(entry, key_name), shape.key, key)
            _write(ElementTree.SubElement(entry, value_name), shape.value, item)
    else:
        element.text = _text(kind, value)


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if kind in ("float", "double"):
        return repr(float(value))
    return str(value)
