import type { z } from 'zod';

/** How many issues a message shows before "and N more". */
const SHOWN_ISSUES = 5;

/** A plain zod issue list for a message: `details.id: Invalid input; status: ...` (at most 5 issues, then "and N more"). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, SHOWN_ISSUES).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  if (issues.length > SHOWN_ISSUES) shown.push(`and ${issues.length - SHOWN_ISSUES} more`);
  return shown.join('; ');
}
