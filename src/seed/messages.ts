/**
 * Demo conversations (collection `chat`), in the webapp's shapes: user and agent messages, a streamed
 * reply still in chunks, a streamed reply completed by an overwrite, a code message with a language, a
 * feedback request, and messages of another team that name an Acme session's id (isolation). Made
 * after every other document, so that adding them moved no other id.
 */
import type { Document, ObjectId } from 'mongodb';
import type { SeedContext, TeamScope } from './context';
import type { NamedFixtures } from './named';
import { teamScope } from './named';
import type { MessageKey } from './types';


interface MessageInput {
  sessionId: ObjectId;
  agent: boolean;
  authorName: string;
  text: string;
  type?: 'text' | 'code';
  displayType?: 'bubble' | 'inline';
  language?: string;
  isFeedback?: boolean;
  /** Still streaming: these pieces, in this order of `ts` (stored shuffled), and no overwrite. */
  chunks?: string[];
  /** Completed by an overwrite: the final text replaced the pieces. */
  overwritten?: boolean;
  authorId?: ObjectId;
}

/** A generated session that gets a short exchange (and the first of them, the long conversation). */
export interface GeneratedSession {
  id: ObjectId;
  scope: TeamScope;
}

/**
 * The messages of the generated data: a question and an answer in every generated session, and
 * `conversation` more in the first one (the benchmark's long conversation). Returns that session's id.
 */
export function addScaledMessages(ctx: SeedContext, sessions: readonly GeneratedSession[], conversation: number): ObjectId | null {
  if (sessions.length === 0) return null;
  for (const [n, session] of sessions.entries()) {
    ctx.add('chat', messageDoc(ctx.nextId(), session.scope, { sessionId: session.id, agent: false, authorName: 'Team Owner', text: `Start run ${n + 1}.` }));
    ctx.add('chat', messageDoc(ctx.nextId(), session.scope, { sessionId: session.id, agent: true, authorName: 'Generated Agent', text: `Run ${n + 1} is under way.` }));
  }
  const long = sessions[0];
  for (let i = 0; i < conversation; i++) {
    const text = `Message ${i + 1} of a long conversation about agents, tools and the tasks they share.`;
    ctx.add('chat', messageDoc(ctx.nextId(), long.scope, { sessionId: long.id, agent: i % 2 === 1, authorName: i % 2 === 1 ? 'Generated Agent' : 'Team Owner', text }));
  }
  return long.id;
}

export function addMessages(ctx: SeedContext, f: NamedFixtures): Record<MessageKey, ObjectId> {
  const ids = ctx.ids<MessageKey>([
    'crewQuestion', 'crewAnswer', 'crewStreaming', 'crewCode', 'crewFeedback',
    'chatHello', 'chatReply', 'chatOverwritten', 'globexOwn', 'globexNamesAcmeSession',
  ]);
  const acme = teamScope(f, 'acmeMain');
  const globex = teamScope(f, 'globexMain');
  const s = f.sessions;
  const add = (key: MessageKey, scope: TeamScope, input: MessageInput) => ctx.add('chat', messageDoc(ids[key], scope, input));

  add('crewQuestion', acme, { sessionId: s.teamCrew, agent: false, authorName: 'Max Member', authorId: f.accounts.member, text: 'Write a post about GraphQL for developers.' });
  add('crewAnswer', acme, { sessionId: s.teamCrew, agent: true, authorName: 'Researcher', text: 'I found three good sources.' });
  add('crewStreaming', acme, { sessionId: s.teamCrew, agent: true, authorName: 'Writer', text: '', chunks: ['GraphQL ', 'lets clients ', 'ask for exactly what they need.'] });
  add('crewCode', acme, { sessionId: s.teamCrew, agent: true, authorName: 'Writer', text: 'query { session(_id: "…") { name } }', type: 'code', language: 'graphql', displayType: 'inline' });
  add('crewFeedback', acme, { sessionId: s.teamCrew, agent: true, authorName: 'Writer', text: 'Shall I publish the draft?', isFeedback: true });
  add('chatHello', acme, { sessionId: s.publicChat, agent: false, authorName: 'Visitor', text: 'How do I reset my password?' });
  add('chatReply', acme, { sessionId: s.publicChat, agent: true, authorName: 'Support Bot', text: 'Open Settings, then Security.' });
  add('chatOverwritten', acme, { sessionId: s.publicChat, agent: true, authorName: 'Support Bot', text: 'Anything else I can help with?', overwritten: true, chunks: ['Anything ', 'else?'] });
  add('globexOwn', globex, { sessionId: s.globexSession, agent: true, authorName: 'Globex Agent', text: 'Globex leads found: 12.' });
  // another team's message naming an Acme session: it must never show in that session
  add('globexNamesAcmeSession', globex, { sessionId: s.teamCrew, agent: true, authorName: 'Globex Agent', text: 'Globex text that must not leak.' });
  return ids;
}

function messageDoc(id: ObjectId, scope: TeamScope, m: MessageInput): Document {
  const ts = id.getTimestamp().getTime();
  const chunkId = `chunk-${id.toHexString().slice(-6)}`;
  const streaming = m.chunks && !m.overwritten;
  const inner: Document = {
    text: streaming ? '' : m.text,
    type: m.type ?? 'text',
    chunkId,
    tokens: m.text.length,
    first: true,
    single: !m.chunks,
    displayType: m.displayType ?? 'bubble',
    timestamp: ts,
    overwrite: m.overwritten === true,
    ...(m.language ? { language: m.language } : {}),
  };
  const doc: Document = {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    sessionId: m.sessionId,
    authorId: m.agent ? null : (m.authorId ?? null),
    authorName: m.authorName,
    ts,
    isFeedback: m.isFeedback === true,
    chunkId,
    message: {
      room: m.sessionId.toHexString(), event: 'message', authorName: m.authorName, isFeedback: m.isFeedback === true,
      incoming: !m.agent, ts, message: inner, ...(m.overwritten ? { completed: true } : {}),
    },
    tokens: m.text.length,
    // a message sent whole is stored completed; a streamed reply is marked by its overwrite
    ...(m.chunks ? {} : { completed: true }),
  };
  // stored out of order, as chunks that arrive late are appended: readers sort them by ts
  if (streaming) doc.chunks = m.chunks!.map((chunk, i) => ({ ts: ts + 10 * (i + 1), chunk, tokens: chunk.length })).reverse();
  return doc;
}
