/**
 * The token limit as graphql-js's parser applies it (`maxTokens`): a document's tokens, its comments and
 * its end not counted. The parser stops at the first token past the limit with a plain syntax error, so
 * a parse failure is told to be the limit's by counting the document, never by the error's message.
 */
import { Lexer, Source, TokenKind } from 'graphql';
import { ErrorCode, GatewayError } from '../../errors/codes';

/** True when `text` has more than `maxTokens` tokens; counting stops at the first one past it. */
export function exceedsTokenLimit(text: string, maxTokens: number): boolean {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) if (++count > maxTokens) return true;
  } catch {
    // a lexical error before the limit: the parser's own error stands
  }
  return false;
}

export const tokenLimitExceeded = (maxTokens: number) => new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `Query token count exceeds the limit of ${maxTokens}`);
