import protobuf from "protobufjs/light.js";
import { AppError } from "../../errors.js";

/**
 * OTLP/HTTP trace requests, protobuf or JSON, decoded into one plain shape. Protobuf goes through
 * protobufjs with a descriptor of the messages the collector reads, written from the official
 * opentelemetry-proto definitions (collector/trace/v1, trace/v1, resource/v1, common/v1); field
 * numbers and types are theirs, fields the collector does not read (links, dropped counts, schema
 * URLs) are left out and skipped by the decoder as unknown fields. Names are the lowerCamelCase
 * OTLP/JSON names, so a decoded protobuf message and a JSON body have the same shape and are
 * normalised by one function; only the ids differ (base64 in protobuf's bytes, hex in OTLP/JSON).
 */
const keyValues = (id: number) => ({ rule: "repeated", type: "KeyValue", id });
const DESCRIPTOR = {
  nested: {
    ExportTraceServiceRequest: {
      fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } },
    },
    ResourceSpans: {
      fields: {
        resource: { type: "Resource", id: 1 },
        scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
      },
    },
    Resource: { fields: { attributes: keyValues(1) } },
    ScopeSpans: {
      fields: {
        scope: { type: "InstrumentationScope", id: 1 },
        spans: { rule: "repeated", type: "Span", id: 2 },
      },
    },
    InstrumentationScope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 } } },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        parentSpanId: { type: "bytes", id: 4 },
        name: { type: "string", id: 5 },
        // SpanKind, an enum: read as its number (the wire type of an enum is a varint).
        kind: { type: "int32", id: 6 },
        startTimeUnixNano: { type: "fixed64", id: 7 },
        endTimeUnixNano: { type: "fixed64", id: 8 },
        attributes: keyValues(9),
        events: { rule: "repeated", type: "SpanEvent", id: 11 },
        status: { type: "Status", id: 15 },
      },
    },
    SpanEvent: {
      fields: {
        timeUnixNano: { type: "fixed64", id: 1 },
        name: { type: "string", id: 2 },
        attributes: keyValues(3),
      },
    },
    Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } },
    KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            "stringValue",
            "boolValue",
            "intValue",
            "doubleValue",
            "arrayValue",
            "kvlistValue",
            "bytesValue",
          ],
        },
      },
      fields: {
        stringValue: { type: "string", id: 1 },
        boolValue: { type: "bool", id: 2 },
        intValue: { type: "int64", id: 3 },
        doubleValue: { type: "double", id: 4 },
        arrayValue: { type: "ArrayValue", id: 5 },
        kvlistValue: { type: "KeyValueList", id: 6 },
        bytesValue: { type: "bytes", id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } } },
    KeyValueList: { fields: { values: keyValues(1) } },
    ExportTraceServiceResponse: { fields: { partialSuccess: { type: "ExportTracePartialSuccess", id: 1 } } },
    ExportTracePartialSuccess: {
      fields: { rejectedSpans: { type: "int64", id: 1 }, errorMessage: { type: "string", id: 2 } },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);
const RequestType = root.lookupType("ExportTraceServiceRequest");
const ResponseType = root.lookupType("ExportTraceServiceResponse");

/** An attribute value: OTLP's AnyValue as JSON (int64 beyond 2^53 stays a decimal string). */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };
export type Attributes = Map<string, AttributeValue>;

export interface OtlpSpan {
  /** Lowercase hex; null when missing or invalid (all zero, wrong length). */
  traceId: string | null;
  spanId: string | null;
  name: string;
  /** SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  events: { name: string; attributes: Attributes }[];
}

export interface OtlpResourceSpans {
  resource: Attributes;
  spans: OtlpSpan[];
}

type Raw = Record<string, unknown>;
const asObject = (value: unknown): Raw =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Raw) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string => (typeof value === "string" ? value : "");

function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return Number.NaN;
}

/** int64 as a number when it is exact, else its decimal text. */
function toInteger(value: unknown): AttributeValue {
  const text = typeof value === "number" ? String(Math.trunc(value)) : asString(value);
  if (!/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

function toNanos(value: unknown): bigint {
  try {
    if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
    if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  } catch {
    // fall through: an unreadable time is treated as missing
  }
  return 0n;
}

function anyValue(value: unknown): AttributeValue {
  const v = asObject(value);
  if ("stringValue" in v) return asString(v.stringValue);
  if ("boolValue" in v) return v.boolValue === true;
  if ("intValue" in v) return toInteger(v.intValue);
  if ("doubleValue" in v) {
    const n = toNumber(v.doubleValue);
    return Number.isFinite(n) ? n : String(v.doubleValue);
  }
  if ("arrayValue" in v) return asArray(asObject(v.arrayValue).values).map(anyValue);
  if ("kvlistValue" in v) return Object.fromEntries(attributes(asObject(v.kvlistValue).values));
  if ("bytesValue" in v) return asString(v.bytesValue);
  return null;
}

function attributes(list: unknown): Attributes {
  const map: Attributes = new Map();
  for (const item of asArray(list)) {
    const kv = asObject(item);
    if (typeof kv.key === "string") map.set(kv.key, anyValue(kv.value));
  }
  return map;
}

function id(value: unknown, bytes: number, encoding: "hex" | "base64"): string | null {
  const text = asString(value);
  const hex = encoding === "hex" ? text.toLowerCase() : Buffer.from(text, "base64").toString("hex");
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex) || /^0+$/.test(hex)) return null;
  return hex;
}

function normalise(request: unknown, encoding: "hex" | "base64"): OtlpResourceSpans[] {
  try {
    return normaliseRequest(request, encoding);
  } catch (error) {
    // Attribute values nested deeper than the stack allows: bad input, not a collector failure.
    if (error instanceof RangeError)
      throw new AppError("invalid_body", "The request's attribute values are nested too deeply.", [
        { field: "resourceSpans", reason: error.message },
      ]);
    throw error;
  }
}

function normaliseRequest(request: unknown, encoding: "hex" | "base64"): OtlpResourceSpans[] {
  return asArray(asObject(request).resourceSpans).map((rs) => {
    const resourceSpans = asObject(rs);
    return {
      resource: attributes(asObject(resourceSpans.resource).attributes),
      spans: asArray(resourceSpans.scopeSpans).flatMap((ss) =>
        asArray(asObject(ss).spans).map((raw): OtlpSpan => {
          const span = asObject(raw);
          const status = asObject(span.status);
          return {
            traceId: id(span.traceId, 16, encoding),
            spanId: id(span.spanId, 8, encoding),
            name: asString(span.name),
            kind: toNumber(span.kind) || 0,
            startNs: toNanos(span.startTimeUnixNano),
            endNs: toNanos(span.endTimeUnixNano),
            attributes: attributes(span.attributes),
            status: { code: toNumber(status.code) || 0, message: asString(status.message) },
            events: asArray(span.events).map((e) => ({
              name: asString(asObject(e).name),
              attributes: attributes(asObject(e).attributes),
            })),
          };
        }),
      ),
    };
  });
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest. */
export function decodeProtobufTraces(body: Buffer): OtlpResourceSpans[] {
  let message: protobuf.Message;
  try {
    message = RequestType.decode(body);
  } catch (error) {
    throw new AppError("invalid_body", "The body is not a protobuf ExportTraceServiceRequest.", [
      { field: "(root)", reason: (error as Error).message },
    ]);
  }
  const object = RequestType.toObject(message, { longs: String, bytes: String, defaults: false });
  return normalise(object, "base64");
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (ids in hex, as OTLP/JSON sends them). */
export function decodeJsonTraces(text: string): OtlpResourceSpans[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_body", "The body is not valid JSON.", [
      { field: "(root)", reason: (error as Error).message },
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new AppError("invalid_body", "The body must be an OTLP/JSON ExportTraceServiceRequest object.", [
      { field: "(root)", reason: "must be an object with resourceSpans" },
    ]);
  return normalise(parsed, "hex");
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** An ExportTraceServiceResponse as OTLP/JSON. */
export function traceResponseJson(partialSuccess: PartialSuccess | null): object {
  if (!partialSuccess) return {};
  // int64 as a decimal string, as the protobuf JSON mapping writes it.
  const { rejectedSpans, errorMessage } = partialSuccess;
  return { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } };
}

/** An ExportTraceServiceResponse as protobuf bytes. */
export function traceResponseProtobuf(partialSuccess: PartialSuccess | null): Buffer {
  const message = ResponseType.fromObject(partialSuccess ? { partialSuccess } : {});
  return Buffer.from(ResponseType.encode(message).finish());
}
