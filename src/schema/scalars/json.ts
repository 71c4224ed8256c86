/** `JSON`: stored free-form values (tool parameters, retriever settings); never used for secret fields. */
export { JSONResolver as JSONScalar } from 'graphql-scalars';
