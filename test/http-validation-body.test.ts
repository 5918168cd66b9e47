import { describe, expect, test } from "vitest";
import { parseCompletionBody } from "../src/http/validation.js";
import { body, DEFAULTS, missing, value } from "./helpers/validation-expectations.js";

// Every expected body below was produced by the Python stack itself (json.loads + pydantic 1.10
// fields built as FastAPI 0.92 builds them, rendered by JSONResponse's json.dumps settings).

describe("the body as FastAPI 0.92 validates it", () => {
  test("an empty body reports only the missing query, whatever the content type", () => {
    const expected = `{"detail":[${missing("query")}]}`;
    expect(body(parseCompletionBody("", null))).toBe(expected);
    expect(body(parseCompletionBody("", "text/plain"))).toBe(expected);
    expect(body(parseCompletionBody("{}", "application/json"))).toBe(expected);
  });

  test("a temperature above 1 gives FastAPI's exact not_le body with the limit as a float", () => {
    expect(body(parseCompletionBody('{"query":"x","temperature":1.5}', "application/json"))).toBe(
      '{"detail":[{"loc":["body","temperature"],"msg":"ensure this value is less than or equal to 1.0","type":"value_error.number.not_le","ctx":{"limit_value":1.0}}]}',
    );
  });

  test("a negative or NaN temperature fails the ge bound, which pydantic checks first", () => {
    const expected =
      '{"detail":[{"loc":["body","temperature"],"msg":"ensure this value is greater than or equal to 0.0","type":"value_error.number.not_ge","ctx":{"limit_value":0.0}}]}';
    expect(body(parseCompletionBody('{"query":"x", "temperature": -0.5}', null))).toBe(expected);
    expect(body(parseCompletionBody('{"query":"x","temperature":NaN}', null))).toBe(expected);
    expect(body(parseCompletionBody('{"query":"x","temperature":"-inf"}', null))).toBe(expected);
  });

  test("several bad fields give one entry each, in the order the endpoint declares them", () => {
    const text =
      '{"prompt_name":{},"max_tokens":"1.5","temperature":"hot","echo":2,"stream":"maybe","query":["a"]}';
    expect(body(parseCompletionBody(text, null))).toBe(
      '{"detail":[{"loc":["body","query"],"msg":"str type expected","type":"type_error.str"},{"loc":["body","stream"],"msg":"value could not be parsed to a boolean","type":"type_error.bool"},{"loc":["body","echo"],"msg":"value could not be parsed to a boolean","type":"type_error.bool"},{"loc":["body","temperature"],"msg":"value is not a valid float","type":"type_error.float"},{"loc":["body","max_tokens"],"msg":"value is not a valid integer","type":"type_error.integer"},{"loc":["body","prompt_name"],"msg":"str type expected","type":"type_error.str"}]}',
    );
  });

  test("a minimal body takes every default", () => {
    expect(value('{"query":"hi"}')).toEqual(JSON.parse(`{"query":"hi",${DEFAULTS}}`));
  });

  test("unknown keys are ignored", () => {
    expect(value('{"query":"hi","history":[1,2],"top_p":{"a":null}}').query).toBe("hi");
  });

  test("caller defaults replace the endpoint's defaults for absent keys only", () => {
    const result = parseCompletionBody('{"query":"q","temperature":0.2}', null, {
      temperature: 0.9,
      max_tokens: null,
      prompt_name: "chat",
      model_name: "gpt",
    });
    expect(result.ok && result.value).toMatchObject({
      temperature: 0.2,
      max_tokens: null,
      prompt_name: "chat",
      model_name: "gpt",
    });
  });
});

describe("null values, which FastAPI treats as absent before pydantic sees them", () => {
  test("a null query is reported as missing, not as a None error", () => {
    expect(body(parseCompletionBody('{"query":null}', null))).toBe(
      `{"detail":[${missing("query")}]}`,
    );
  });

  test("a null optional field takes its default, even where the type would accept None", () => {
    expect(
      value(
        '{"query":"q","stream":null,"echo":null,"model_name":null,"temperature":null,"max_tokens":null,"prompt_name":null}',
      ),
    ).toEqual(JSON.parse(`{"query":"q",${DEFAULTS}}`));
  });

  test("a JSON null body is the same as an empty body", () => {
    expect(body(parseCompletionBody("null", null))).toBe(`{"detail":[${missing("query")}]}`);
  });
});
