// What a customer reads when something goes wrong, chosen by the error's
// `extensions.code` (the API contract's stable codes), never by its text,
// except for BAD_USER_INPUT and CONFLICT, whose messages are written for
// clients and say what to fix.
import type { CombinedError } from 'urql';

const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: 'Please sign in to continue.',
  FORBIDDEN: 'Your account may not do that.',
  NOT_FOUND: 'We could not find that.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  UNAVAILABLE: 'Part of the store is unavailable right now. Please try again shortly.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on our side. Please try again.',
};

export interface Problem {
  code: string;
  message: string;
}

export function describe(error: CombinedError): Problem {
  const first = error.graphQLErrors[0];
  if (!first) {
    return { code: 'NETWORK', message: 'Cannot reach the store. Check your connection and try again.' };
  }
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
  const readable = code === 'BAD_USER_INPUT' || code === 'CONFLICT';
  return { code, message: readable ? first.message : (MESSAGES[code] ?? MESSAGES.INTERNAL_SERVER_ERROR) };
}

export function hasCode(error: CombinedError | undefined, code: string): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === code);
}
