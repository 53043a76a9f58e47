/** The OpenAI wire format of the mock upstream: pure functions from plain data to status, headers and bodies. */
export {
  type ChatCompletionOptions,
  type ChatRequest,
  type ChatStreamOptions,
  chatCompletionBody,
  chatStreamChunks,
  keepAliveComment,
  malformedChunk,
  parseChatRequest,
  SSE_DONE,
  streamErrorEvent,
} from './chat.ts';
export { embeddingOf, synthEmbedding, synthText, synthTokens, TokenPool } from './content.ts';
export {
  type EmbeddingInput,
  type EmbeddingsBodyOptions,
  type EmbeddingsRequest,
  type EncodingFormat,
  embeddingsBody,
  encodeFloat32Base64,
  parseEmbeddingsRequest,
} from './embeddings.ts';
export {
  type ErrorContext,
  errorResponse,
  maskApiKey,
  type OpenAIErrorFields,
  openAIErrorBody,
  WIRE_ERROR_KINDS,
  type WireErrorKind,
  type WireErrorResponse,
} from './errors.ts';
export {
  HTML_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  type ResponseHeaderOptions,
  rateLimitHeaders,
  responseHeaders,
  responseHeadersOf,
  retryAfterHeaders,
  SSE_CONTENT_TYPE,
} from './headers.ts';
export {
  chatCompletionId,
  createdSecAt,
  messageItemId,
  requestId,
  responseId,
  systemFingerprint,
  VIRTUAL_EPOCH_SEC,
} from './ids.ts';
export { modelBody, modelsListBody } from './models.ts';
export type { ParseFailure, ParseResult } from './parse.ts';
export {
  parseResponsesRequest,
  type ResponsesBodyOptions,
  type ResponsesRequest,
  type ResponsesStreamOptions,
  responsesBody,
  responsesStreamErrorEvent,
  responsesStreamEvents,
} from './responses.ts';
export {
  countChatPromptTokens,
  countEmbeddingInputTokens,
  countResponsesInputTokens,
  countTextTokens,
  loadTokenizer,
  type TokenCounter,
} from './tokens.ts';
