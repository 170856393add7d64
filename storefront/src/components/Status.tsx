import type { CombinedError } from 'urql';
import { describe } from '../errors';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** An error as the customer should read it, with its code for support. */
export function ProblemMessage({ error }: { error: CombinedError }) {
  const problem = describe(error);
  return (
    <p className="problem" role="alert" data-code={problem.code}>
      {problem.message} <span className="code">({problem.code})</span>
    </p>
  );
}
