/**
 * The token limit as graphql-js's parser applies it (`maxTokens`): a document's tokens, its comments and
 * its end not counted. The parser stops at the first token past the limit with a plain syntax error at
 * that token, so a parse failure is told to be the limit's by where it stopped, never by its message.
 */
import { Lexer, Source, TokenKind } from 'graphql';
import { ErrorCode, GatewayError } from '../../errors/codes';

/** True when the parse of `text` failed at `position` because of the limit: at its first token past `maxTokens`. */
export function stoppedByTokenLimit(text: string, maxTokens: number, position: number | undefined): boolean {
  if (position === undefined) return false;
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF && token.start <= position; token = lexer.advance()) {
      if (++count > maxTokens) return token.start === position;
    }
  } catch {
    // a lexical error before the limit: the parser's own error stands
  }
  return false;
}

export const tokenLimitExceeded = (maxTokens: number) => new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `Query token count exceeds the limit of ${maxTokens}`);
