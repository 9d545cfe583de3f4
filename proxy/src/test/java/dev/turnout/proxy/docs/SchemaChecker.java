package dev.turnout.proxy.docs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a JSON value against a schema of an OpenAPI 3.1 document: the subset the admin API's document uses
 * ({@code $ref} to {@code #/components/schemas}, {@code type} alone or as a list, {@code enum}, {@code required},
 * {@code properties}, {@code additionalProperties}, {@code items}, {@code oneOf}, {@code minimum},
 * {@code maximum}). An object without {@code additionalProperties} is closed: a field the document does
 * not describe is a mismatch, so that every field the server sends is documented. A keyword outside the
 * subset fails the check, so the document cannot rely on one that is not checked.
 */
final class SchemaChecker {

    private static final List<String> KEYWORDS = List.of("$ref", "type", "enum", "required", "properties",
            "additionalProperties", "items", "oneOf", "minimum", "maximum", "description", "default", "pattern");

    private final JsonNode document;

    SchemaChecker(JsonNode document) {
        this.document = document;
    }

    /** Every mismatch of {@code value} against {@code schema}, each with its JSON path; empty when it matches. */
    List<String> mismatches(JsonNode value, JsonNode schema) {
        List<String> found = new ArrayList<>();
        check(value, schema, "$", found);
        return found;
    }

    JsonNode resolve(JsonNode node) {
        JsonNode resolved = node;
        while (resolved.has("$ref")) {
            String ref = resolved.get("$ref").asText();
            if (!ref.startsWith("#/")) {
                throw new AssertionError("only local references are checked: " + ref);
            }
            resolved = document.at(ref.substring(1));
            if (resolved.isMissingNode()) {
                throw new AssertionError("dangling reference " + ref);
            }
        }
        return resolved;
    }

    private void check(JsonNode value, JsonNode schemaOrRef, String path, List<String> found) {
        JsonNode schema = resolve(schemaOrRef);
        for (Iterator<String> names = schema.fieldNames(); names.hasNext();) {
            String keyword = names.next();
            if (!KEYWORDS.contains(keyword)) {
                found.add(path + ": the schema uses \"" + keyword + "\", which this check does not know");
            }
        }
        if (schema.has("oneOf")) {
            int matching = 0;
            for (JsonNode option : schema.get("oneOf")) {
                matching += mismatches(value, option).isEmpty() ? 1 : 0;
            }
            if (matching != 1) {
                found.add(path + ": " + value + " matches " + matching + " of oneOf's schemas, not exactly one");
            }
            return;
        }
        if (schema.has("type") && !typeMatches(value, schema.get("type"))) {
            found.add(path + ": " + abbreviated(value) + " is not of type " + schema.get("type"));
            return;
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            found.add(path + ": " + value + " is not one of " + schema.get("enum"));
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.doubleValue() < schema.get("minimum").doubleValue()) {
                found.add(path + ": " + value + " is below " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.doubleValue() > schema.get("maximum").doubleValue()) {
                found.add(path + ": " + value + " is above " + schema.get("maximum"));
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                check(value.get(i), schema.get("items"), path + "[" + i + "]", found);
            }
        }
        if (value.isObject()) {
            checkObject(value, schema, path, found);
        }
    }

    private void checkObject(JsonNode value, JsonNode schema, String path, List<String> found) {
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                found.add(path + ": required field \"" + required.asText() + "\" is missing");
            }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            String fieldPath = path + "." + field.getKey();
            if (properties.has(field.getKey())) {
                check(field.getValue(), properties.get(field.getKey()), fieldPath, found);
            } else if (additional != null && additional.isObject()) {
                check(field.getValue(), additional, fieldPath, found);
            } else if (additional == null || !additional.asBoolean()) {
                found.add(fieldPath + ": a field the document does not describe");
            }
        }
    }

    private static boolean typeMatches(JsonNode value, JsonNode type) {
        if (type.isArray()) {
            for (JsonNode one : type) {
                if (typeMatches(value, one)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> throw new AssertionError("unknown type " + type);
        };
    }

    private static boolean contains(JsonNode values, JsonNode value) {
        for (JsonNode candidate : values) {
            if (candidate.equals(value) || (candidate.isValueNode() && candidate.asText().equals(value.asText()))) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviated(JsonNode value) {
        String text = value.toString();
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
