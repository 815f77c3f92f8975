/**
 * Every request schema of the HTTP API in one place, for those who type against them (the web
 * client imports them as types only). Each lives beside its routes in routes/<group>/schema.ts.
 */
export { email } from '../accounts/email.ts';
export { LIMITS, pageQuery } from './fields.ts';
export { addVideoBody, resyncBody } from './routes/admin/schema.ts';
export { adminSetupBody } from './routes/admin-setup/schema.ts';
export { askBody, searchBody } from './routes/ask/schema.ts';
export { credentials, passwordChange } from './routes/auth/schema.ts';
export {
  conversationCreate,
  conversationRename,
  exportQuery,
  searchQuery,
} from './routes/conversations/schema.ts';
export { CITATION_HOSTS, issueBody } from './routes/issues/schema.ts';
export { localAskBody, localSearchBody, sourceItemSchema } from './routes/local/schema.ts';
