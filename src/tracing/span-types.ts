import { z } from 'zod';
import { ERROR_CODES, PrefactorError } from '../errors.js';
import { describeIssues } from '../util/zod-issues.js';
import { DataRisk, type SpanTypeSchemaForCreate } from '../models/index.js';
import { assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';
import { checkRedactList } from './redaction-options.js';

/** What `defineSpanType` takes. */
export interface SpanTypeDefinition<Params extends z.ZodType | undefined, Result extends z.ZodType | undefined> {
  /** The span type's name, sent as the span's `schema_name`, e.g. `'agent:llm'`. */
  readonly name: string;
  /** A human title shown in the Prefactor UI. */
  readonly title?: string;
  readonly description?: string;
  /** A display template for the UI, e.g. `'{{model}}: {{prompt}}'`. */
  readonly template?: string;
  /** What the span type does and which data it handles (every field defaults to `'unknown'`). */
  readonly dataRisk?: DataRisk;
  /** The zod schema of the span's payload; types the payload of `withSpan`. */
  readonly params?: Params;
  /** The zod schema of the span's result; types `span.setResult` and shapes the result payload. */
  readonly result?: Result;
  /**
   * Whether payloads and results are checked against `params` and `result` at run time (as the
   * tracer's `validatePayloads` says). `false` for a type whose payloads your code builds itself
   * (an integration): the schemas then still type the payloads and are registered with the
   * instance, and the call skips a zod parse per payload (tens of microseconds for a large one).
   * @default true
   */
  readonly validate?: boolean;
  /**
   * Keys and key paths masked in this type's payloads and results, on top of the tracer's `redact`.
   * Setting it (even to `[]`) also turns off the data-risk default: a type whose `dataRisk` includes
   * a sensitive category (secrets, health, financial, GDPR special categories, minors, criminal
   * justice, or classification restricted/secret) otherwise sends `{"redacted":"not_captured"}` for
   * that side.
   * @default undefined (the tracer's keys, and the data-risk default)
   */
  readonly redact?: readonly string[];
}

/** The fields of a span type, as `defineSpanType` resolved them. */
interface SpanTypeFields {
  readonly name: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly template: string | undefined;
  readonly dataRisk: DataRisk | undefined;
  readonly params: z.ZodType | undefined;
  readonly result: z.ZodType | undefined;
  /** Checked at run time (see `SpanTypeDefinition.validate`). */
  readonly validate: boolean;
}

/**
 * A span type: a name plus, optionally, zod schemas for its payload and result. Made by
 * `defineSpanType`; `Params` and `Result` are the payload types `withSpan` and `setResult` accept.
 */
export interface SpanType<Params = Record<string, unknown> | undefined, Result = unknown> extends SpanTypeFields {
  /** Extra keys and key paths masked in its payloads and results (see `SpanTypeDefinition.redact`). */
  readonly redact?: readonly string[] | undefined;
  /** The entry registered in `agent_schema_version.span_type_schemas` (computed once). */
  schemaEntry(): SpanTypeSchemaForCreate;
  /** Type-level only: carries the payload types. Never set. */
  readonly '~types'?: { readonly params: Params; readonly result: Result };
}

type InputOf<Schema, Otherwise> = Schema extends z.ZodType ? z.input<Schema> : Otherwise;

const DEFINITION_KEYS = ['name', 'title', 'description', 'template', 'dataRisk', 'params', 'result', 'validate', 'redact'] as const;
const ANY_OBJECT_SCHEMA = { type: 'object' } as const;

/**
 * Defines a span type. Its zod `params` type the payload of `withSpan(type, payload, fn)` and are
 * checked at run time (option `validatePayloads`); its JSON schemas are registered with each agent
 * instance. Throws a `PrefactorConfigError` for a bad definition.
 */
export function defineSpanType<
  const Params extends z.ZodType | undefined = undefined,
  const Result extends z.ZodType | undefined = undefined,
>(
  definition: SpanTypeDefinition<Params, Result>,
): SpanType<InputOf<Params, Record<string, unknown> | undefined>, InputOf<Result, unknown>> {
  assertOptionsObject('defineSpanType', definition);
  if (definition === undefined) invalidOption('definition', 'an object with at least a `name`', definition);
  rejectUnknownKeys('defineSpanType', definition, DEFINITION_KEYS);
  const name = check.nonEmptyString('name', definition.name);
  for (const key of ['title', 'description', 'template'] as const) {
    if (definition[key] !== undefined && typeof definition[key] !== 'string') invalidOption(key, 'a string', definition[key]);
  }
  for (const key of ['params', 'result'] as const) {
    const schema: unknown = definition[key];
    if (schema !== undefined && typeof (schema as { safeParse?: unknown } | null)?.safeParse !== 'function') {
      invalidOption(key, 'a zod schema', schema);
    }
  }
  if (definition.validate !== undefined && typeof definition.validate !== 'boolean') invalidOption('validate', 'true or false', definition.validate);
  if (definition.dataRisk !== undefined && !DataRisk.safeParse(definition.dataRisk).success) {
    invalidOption('dataRisk', 'a data-risk profile (action_profile, params_data_categories, result_data_categories)', definition.dataRisk);
  }
  return new DefinedSpanType(name, definition);
}

// The class's fields are those of SpanTypeFields (declaration merging), set once in the constructor.
interface DefinedSpanType extends SpanTypeFields {}

class DefinedSpanType implements SpanType<never, never> {
  readonly redact: readonly string[] | undefined;
  // Computed on the first registration, not at definition: a disabled tracer never pays for it.
  #entry: SpanTypeSchemaForCreate | undefined;

  constructor(name: string, definition: SpanTypeDefinition<z.ZodType | undefined, z.ZodType | undefined>) {
    const { title, description, template, dataRisk, params, result } = definition;
    const validate = definition.validate ?? true;
    // Every instance gets the same keys in the same order: one object shape for all span types.
    const fields: SpanTypeFields = { name, title, description, template, dataRisk, params, result, validate };
    Object.assign(this, fields);
    this.redact = definition.redact === undefined ? undefined : checkRedactList('redact', definition.redact);
  }

  schemaEntry(): SpanTypeSchemaForCreate {
    if (this.#entry === undefined) {
      const entry: SpanTypeSchemaForCreate = {
        name: this.name,
        params_schema: this.params === undefined ? { ...ANY_OBJECT_SCHEMA } : toJsonSchema(this.params),
      };
      if (this.result !== undefined) entry.result_schema = toJsonSchema(this.result);
      if (this.title !== undefined) entry.title = this.title;
      if (this.description !== undefined) entry.description = this.description;
      if (this.template !== undefined) entry.template = this.template;
      if (this.dataRisk !== undefined) entry.data_risk = this.dataRisk;
      this.#entry = entry;
    }
    return this.#entry;
  }
}

/**
 * The JSON schema of what the schema accepts (`io: 'input'`). Parts JSON Schema cannot express
 * (a transform, a Date) become `{}` (anything) rather than failing.
 */
function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    // Cycles zod cannot express, schemas from another zod copy: register "any object".
    return { ...ANY_OBJECT_SCHEMA };
  }
}

/** Thrown by `withSpan` before `fn` runs when `validatePayloads` is `'throw'` and the payload does not match. */
export class PayloadValidationError extends PrefactorError {
  /** The span type whose schema rejected the payload. */
  readonly spanType: string;
  /** The zod issues. */
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(spanType: string, issues: readonly z.core.$ZodIssue[]) {
    super(
      `The payload of span type "${spanType}" does not match its params schema: ${describeIssues(issues)}. ` +
        "Fix the payload or the schema, or set `validatePayloads: 'warn'`.",
      { code: ERROR_CODES.payload },
    );
    this.spanType = spanType;
    this.issues = issues;
  }
}

