import { Field, ID, InterfaceType } from 'type-graphql';
import { SESSION_TYPE_NAME } from '../../data-model/collections';
import { typeOf } from '../marks';

@InterfaceType('Node', {
  description: 'An object with a global id (Relay global object identification): fetch it again with `node(id)`.',
  // every document GraphQL shows is marked with its type (src/schema/marks.ts); sessions are the unmarked rest
  resolveType: (value) => typeOf(value) ?? SESSION_TYPE_NAME,
})
export abstract class Node {
  @Field(() => ID, {
    description: 'Opaque global id. It names the type, the document and (for everything but a Session) the session it was reached through, so the same agent seen in two sessions has two ids.',
  })
  id!: string;
}
