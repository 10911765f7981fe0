import { z } from 'zod';

/** The success envelope of every API response: `{status: 'success', details}`. */
export const ApiResponse = <T extends z.ZodType>(details: T) =>
  z.looseObject({ status: z.literal('success'), details });
export type ApiResponse<T> = { status: 'success'; details: T; [key: string]: unknown };

/** The error envelope: `{status: 'error', code, message, errors?}`. */
export const ApiErrorBody = z.looseObject({
  status: z.literal('error'),
  code: z.string(),
  message: z.string(),
  errors: z.record(z.string(), z.unknown()).nullish(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
