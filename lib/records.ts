import { z } from 'zod';

/** A record that did not go on: the stage that turned it away, its id, the reason and the details. */
export const Reject = z.object({
  stage: z.string(),
  id: z.string(),
  reason: z.string(),
  detail: z.string().optional(),
});
export type Reject = z.infer<typeof Reject>;

/** Describe a zod error in one line, for reject reasons. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
}
