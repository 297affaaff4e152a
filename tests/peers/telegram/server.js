'use strict';
/*
 * Telegram Bot API test peer for Quartierslotse's end-to-end tests.
 *
 *     node server.js PORT
 *
 * prints one line `TELEGRAM-PEER READY port=PORT emulator=INTERNAL_PORT` once it listens on
 * 127.0.0.1:PORT. Stops on SIGTERM/SIGINT or when stdin closes (the test process died).
 *
 * The message flow runs through the npm package telegram-test-api (pinned 4.2.1): the
 * emulator stores the bot's messages (sendMessage, editMessageText, editMessageReplyMarkup,
 * deleteMessage), the residents' updates (messages, commands, callback queries), hands out
 * updates (its getUpdates) and keeps the webhook (setWebhook/deleteWebhook). It listens on a
 * second, internal loopback port and this file puts a thin normalising layer in front of it
 * (one process), because python-telegram-bot 22 rejects several of its answers. What the layer
 * fixes and adds, each following https://core.telegram.org/bots/api field by field:
 *
 *  - getMe with is_bot, id from the token, can_join_groups ...;
 *  - dates in seconds (the emulator answers milliseconds), chats with their real type
 *    (private / group / supergroup) and `from` = the bot on the bot's messages;
 *  - editMessageText / editMessageReplyMarkup answer the edited Message; deleteMessage and
 *    answerCallbackQuery answer True; callback queries carry chat_instance and the full
 *    message the button belongs to;
 *  - errors shaped {ok:false, error_code, description[, parameters]}; unknown methods 404;
 *  - getUpdates with offset (confirmation), limit, timeout (long polling, at most 50 s),
 *    allowed_updates; an update is only forgotten once confirmed by a later offset, so a
 *    rejected update is not lost; 409 while a webhook is set or when a second poller comes;
 *  - webhooks: updates POSTed one at a time in order with X-Telegram-Bot-Api-Secret-Token when
 *    the bot set secret_token; a refused delivery is retried with backoff (and shown in
 *    getWebhookInfo) instead of crashing the emulator; update ids are allocated before the
 *    POST (the emulator repeats them under concurrency); updates pending at setWebhook are
 *    delivered (unless drop_pending_updates);
 *  - added methods: sendPhoto / sendDocument (multipart upload or file_id), sendLocation,
 *    getFile + downloads under /file/bot<token>/<file_path>, setMyCommands / getMyCommands /
 *    deleteMyCommands, sendChatAction, getWebhookInfo, setMyDescription & co.;
 *  - residents' side (client API, JSON): text, commands, button presses, photos (stored bytes,
 *    PhotoSize array), locations, stickers, voice, documents, forwarded messages, edits
 *    (edited_message updates), group chats;
 *  - control API: every Bot API call is recorded (method, params, time, answer), failures can
 *    be injected (the next N calls of a method answer 429 with retry_after, 5xx, 403, or drop
 *    the connection) and chats can block the bot (403 "bot was blocked by the user").
 *
 * State is in RAM and shared by all bots: use a distinct token per test.
 */

const http = require('http');
const crypto = require('crypto');
const { EventEmitter } = require('events');
const TelegramServer = require('telegram-test-api');

const HOST = '127.0.0.1';
const MAX_POLL_TIMEOUT_S = 50;
const UPDATE_TYPES = ['message', 'edited_message', 'callback_query', 'my_chat_member'];

// ---------------------------------------------------------------------------------------------
// The emulator, on an internal loopback port, with two fixes inside it.

const emulator = new TelegramServer({ host: HOST, port: 1, storeTimeout: 24 * 3600 });
// The emulator's cleanup daemon would forget updates older than storeTimeout; we never start it.

// Update ids and message ids are allocated synchronously here (the original allocates them
// after awaiting the webhook POST, so concurrent sends repeat ids), and webhook delivery is
// done by the layer (ordered, secret header, retried) instead of an unguarded axios call.
emulator.addUserUpdate = async function addUserUpdate(update) {
  if (!update.botToken) throw new Error('update without botToken');
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    webhookQueue(update.botToken).push(TelegramServer.formatUpdate(update));
    pumpWebhook(update.botToken);
  } else {
    this.storage.userMessages.push(update);
  }
};

// formatUpdate knows only message and callback_query; edited messages are added here.
const originalFormatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function formatUpdate(update) {
  if (update.editedMessage) {
    return { update_id: update.updateId, edited_message: update.editedMessage };
  }
  if (update.myChatMember) {
    return { update_id: update.updateId, my_chat_member: update.myChatMember };
  }
  return originalFormatUpdate.call(TelegramServer, update);
};

// ---------------------------------------------------------------------------------------------
// Per-bot state of the layer.

const bus = new EventEmitter();
bus.setMaxListeners(0);

const bots = new Map();
function bot(token) {
  let state = bots.get(token);
  if (!state) {
    state = {
      token,
      buffer: [], // updates fetched from the emulator, not yet confirmed by offset
      allowedUpdates: null,
      poller: null, // the pending long poll: {finish(status, body)}
      calls: [], // every Bot API call
      commands: new Map(), // scope+language -> BotCommand[]
      webhook: null, // {url, secret_token, ...}
      webhookQueue: [],
      webhookBusy: false,
      webhookLastError: null,
      failures: [], // injected: {method, chat_id, status, retry_after, description, times, after}
      blocked: new Set(), // chat ids that blocked the bot
      extraMessages: new Map(), // message_id -> fields the emulator does not keep (photo ...)
      userMessages: new Map(), // "chat:message_id" -> the residents' messages (for edits)
      limits: null, // enforced flood limits, see control.limits
      sends: [], // [time_s, chat_id] of successful sends, for the flood limits
    };
    bots.set(token, state);
  }
  return state;
}

const chats = new Map(); // chat id -> Chat, as residents' clients introduced them
const files = new Map(); // file_id -> {bytes, file_unique_id, file_path, mime_type, ...}
const filesByPath = new Map();
let fileCounter = 1;

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function botUser(token) {
  const prefix = String(token).split(':')[0];
  const id = /^\d+$/.test(prefix) ? Number(prefix) : 666;
  return {
    id,
    is_bot: true,
    first_name: 'Quartierslotse Test',
    username: `lotse_${id}_bot`,
  };
}

function chatFor(chatId) {
  const id = Number(chatId);
  const known = chats.get(id);
  if (known) return known;
  if (id < 0) return { id, type: String(id).startsWith('-100') ? 'supergroup' : 'group', title: `Group ${id}` };
  return { id, type: 'private', first_name: `User ${id}` };
}

// ---------------------------------------------------------------------------------------------
// Files

function imageSize(bytes) {
  // PNG: IHDR width/height at 16..24; JPEG: the first SOFn segment; else unknown (0x0).
  if (bytes.length > 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) { i += 1; continue; }
      const marker = bytes[i + 1];
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      }
      i += 2 + length;
    }
  }
  return { width: 0, height: 0 };
}

function storeFile(bytes, kind, ext, extra = {}) {
  const n = fileCounter++;
  const fileUniqueId = `AQAD${crypto.createHash('sha1').update(bytes).digest('base64url').slice(0, 12)}${n}`;
  const fileId = `${kind.toUpperCase()}-${n}-${crypto.randomBytes(9).toString('base64url')}`;
  const filePath = `${kind}s/file_${n}.${ext}`;
  const record = { bytes, file_id: fileId, file_unique_id: fileUniqueId, file_path: filePath, file_size: bytes.length, ...extra };
  files.set(fileId, record);
  filesByPath.set(filePath, record);
  return record;
}

function photoSizes(list) {
  // list: [{bytes}] -> PhotoSize[] ascending by area, as Telegram sends them.
  return list
    .map((bytes) => {
      const size = imageSize(bytes);
      const record = storeFile(bytes, 'photo', 'jpg', size);
      return { file_id: record.file_id, file_unique_id: record.file_unique_id, width: size.width, height: size.height, file_size: bytes.length };
    })
    .sort((a, b) => a.width * a.height - b.width * b.height || a.file_size - b.file_size);
}

// ---------------------------------------------------------------------------------------------
// Request parsing

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

async function parseParams(req, url, body) {
  const params = {};
  const uploads = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const type = (req.headers['content-type'] || '').toLowerCase();
  if (body.length === 0) return { params, uploads };
  if (type.startsWith('application/json')) {
    Object.assign(params, JSON.parse(body.toString('utf8')));
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
  } else if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://peer/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] }, body }).formData();
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') params[k] = v;
      else uploads[k] = { bytes: Buffer.from(await v.arrayBuffer()), filename: v.name, mime_type: v.type };
    }
  }
  // PTB sends JSON-encoded values for nested fields when it uses form encoding.
  for (const key of ['reply_markup', 'entities', 'caption_entities', 'commands', 'scope', 'allowed_updates', 'link_preview_options', 'reply_parameters']) {
    if (typeof params[key] === 'string') {
      try { params[key] = JSON.parse(params[key]); } catch (_e) { /* leave as is */ }
    }
  }
  return { params, uploads };
}

// ---------------------------------------------------------------------------------------------
// Talking to the emulator (its own Bot API routes, over loopback)

let emulatorUrl = null;

async function callEmulator(token, method, params) {
  const response = await fetch(`${emulatorUrl}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (_e) {
    return { ok: false, error_code: 500, description: `Internal Server Error: ${text.slice(0, 200)}` };
  }
}

class ApiError extends Error {
  constructor(code, description, parameters) {
    super(description);
    this.code = code;
    this.description = description;
    this.parameters = parameters;
  }
}

function badRequest(description) {
  return new ApiError(400, `Bad Request: ${description}`);
}

// A bot message as the Bot API returns it, from the emulator's stored record.
function botMessageFromRecord(token, record) {
  const raw = record.message;
  const msg = {
    message_id: record.messageId,
    from: botUser(token),
    chat: chatFor(raw.chat_id),
    date: Math.floor(record.time / 1000),
  };
  if (raw.text !== undefined) msg.text = String(raw.text);
  if (raw.entities && raw.entities.length) msg.entities = raw.entities;
  if (raw.reply_markup && raw.reply_markup.inline_keyboard && raw.reply_markup.inline_keyboard.length) msg.reply_markup = { inline_keyboard: raw.reply_markup.inline_keyboard };
  if (raw.edit_date) msg.edit_date = raw.edit_date;
  const extra = bot(token).extraMessages.get(record.messageId);
  if (extra) Object.assign(msg, extra);
  return msg;
}

function findBotRecord(token, chatId, messageId) {
  return emulator.storage.botMessages.find((u) => u.botToken === token
    && String(u.messageId) === String(messageId) && String(u.message.chat_id) === String(chatId));
}

function normaliseUpdate(token, update) {
  const out = JSON.parse(JSON.stringify(update));
  const fixMessage = (m) => {
    if (!m) return;
    if (m.date > 1e11) m.date = Math.floor(m.date / 1000);
    delete m.botToken;
  };
  fixMessage(out.message);
  fixMessage(out.edited_message);
  if (out.callback_query) {
    const cq = out.callback_query;
    delete cq.botToken;
    delete cq.date;
    const chatId = cq.message && cq.message.chat ? cq.message.chat.id : cq.from.id;
    cq.chat_instance = String(BigInt.asUintN(63, BigInt(`0x${crypto.createHash('sha1').update(`${token}:${chatId}`).digest('hex').slice(0, 16)}`)));
    if (cq.message && cq.message.message_id) {
      const record = findBotRecord(token, chatId, cq.message.message_id);
      if (record) cq.message = botMessageFromRecord(token, record);
    }
    fixMessage(cq.message);
  }
  return out;
}

function updateType(update) {
  return UPDATE_TYPES.find((t) => t in update) || Object.keys(update).find((k) => k !== 'update_id');
}

// ---------------------------------------------------------------------------------------------
// Bot API methods

async function pullFromEmulator(state) {
  const answer = await callEmulator(state.token, 'getUpdates', {});
  if (!answer.ok) throw new ApiError(500, `Internal Server Error: ${answer.description}`);
  for (const update of answer.result) {
    const normalised = normaliseUpdate(state.token, update);
    if (state.allowedUpdates && state.allowedUpdates.length && !state.allowedUpdates.includes(updateType(normalised))) continue;
    state.buffer.push(normalised);
  }
}

function hasUnread(token) {
  return emulator.storage.userMessages.some((u) => u.botToken === token && !u.isRead);
}

async function getUpdates(state, params, _uploads, res) {
  if (state.webhook) {
    throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
  }
  if (params.allowed_updates !== undefined) state.allowedUpdates = params.allowed_updates;
  const offset = params.offset !== undefined ? Number(params.offset) : 0;
  const limit = Math.max(1, Math.min(100, Number(params.limit || 100)));
  const timeout = Math.max(0, Math.min(MAX_POLL_TIMEOUT_S, Number(params.timeout || 0)));
  await pullFromEmulator(state);
  // An update added while the emulator's answer was on its way is still unread there.
  while (hasUnread(state.token)) await pullFromEmulator(state);
  if (offset > 0) state.buffer = state.buffer.filter((u) => u.update_id >= offset);
  else if (offset < 0) state.buffer = state.buffer.slice(offset);
  if (state.buffer.length === 0 && timeout > 0) {
    if (state.poller) state.poller.finish(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    await new Promise((resolve, reject) => {
      let done = false;
      const finish = (code, description) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        bus.off(`update:${state.token}`, onUpdate);
        res.off('close', onClose);
        if (state.poller && state.poller.finish === finish) state.poller = null;
        if (code) reject(new ApiError(code, description));
        else resolve();
      };
      const onUpdate = () => finish();
      const onClose = () => finish();
      const timer = setTimeout(() => finish(), timeout * 1000);
      bus.on(`update:${state.token}`, onUpdate);
      res.on('close', onClose); // the bot hung up (res, not req: req closes once read)
      state.poller = { finish };
    });
    await pullFromEmulator(state);
  }
  return state.buffer.slice(0, limit);
}

// parse_mode HTML as Telegram does it: the tags become entities (offsets in UTF-16 code
// units, as JS strings count), the text comes back without them; bad markup is a 400.
const HTML_TAGS = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', 'tg-spoiler': 'spoiler',
  span: 'spoiler', a: 'text_link', code: 'code', pre: 'pre', blockquote: 'blockquote', 'tg-emoji': 'custom_emoji',
};
const HTML_ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"' };

function parseHtml(src) {
  let out = '';
  const entities = [];
  const stack = [];
  let i = 0;
  const fail = (why) => { throw badRequest(`can't parse entities: ${why} at byte offset ${Buffer.byteLength(src.slice(0, i))}`); };
  while (i < src.length) {
    const ch = src[i];
    if (ch === '<') {
      const end = src.indexOf('>', i);
      if (end === -1) fail('Unclosed start tag');
      const inner = src.slice(i + 1, end).trim();
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (!open || open.name !== name) fail(`Unmatched end tag "${name}"`);
        if (out.length > open.offset) {
          const entity = { type: open.type, offset: open.offset, length: out.length - open.offset };
          if (open.url) entity.url = open.url;
          if (open.language) entity.language = open.language;
          if (open.custom_emoji_id) entity.custom_emoji_id = open.custom_emoji_id;
          entities.push(entity);
        }
      } else {
        const m = inner.match(/^([a-zA-Z-]+)(.*)$/s);
        if (!m) fail('Unsupported start tag');
        const name = m[1].toLowerCase();
        if (!HTML_TAGS[name]) fail(`Unsupported start tag "${name}"`);
        const attrs = {};
        for (const a of m[2].matchAll(/([a-zA-Z-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"']+))/g)) attrs[a[1].toLowerCase()] = a[3] ?? a[4] ?? a[5];
        const open = { name, type: HTML_TAGS[name], offset: out.length };
        if (name === 'span' && attrs.class !== 'tg-spoiler') fail('Unsupported start tag "span"');
        if (name === 'a') open.url = attrs.href || '';
        if (name === 'tg-emoji') open.custom_emoji_id = attrs['emoji-id'];
        if (name === 'blockquote' && 'expandable' in attrs) open.type = 'expandable_blockquote';
        if (name === 'code' && stack.length && stack[stack.length - 1].name === 'pre' && attrs.class && attrs.class.startsWith('language-')) {
          stack[stack.length - 1].language = attrs.class.slice(9);
        }
        stack.push(open);
      }
      i = end + 1;
    } else if (ch === '&') {
      const m = src.slice(i).match(/^&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);/);
      if (m) {
        const e = m[1];
        out += e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : HTML_ENTITIES[e];
        i += m[0].length;
      } else {
        out += ch;
        i += 1;
      }
    } else {
      out += ch;
      i += 1;
    }
  }
  if (stack.length) fail(`Can't find end tag corresponding to start tag "${stack[stack.length - 1].name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: out, entities };
}

// The text (or caption) as Telegram stores it: parsed when parse_mode is HTML; MarkdownV2
// and Markdown are kept as sent (not parsed by the peer).
function formatted(text, parseMode, entities) {
  const raw = text === undefined || text === null ? '' : String(text);
  if (String(parseMode || '').toUpperCase() === 'HTML') {
    const parsed = parseHtml(raw);
    return { text: parsed.text, entities: parsed.entities.length ? parsed.entities : undefined };
  }
  return { text: raw, entities: entities || undefined };
}

function checkText(text, what = 'message text') {
  if (text === undefined || text === null || String(text).length === 0) throw badRequest(`${what} is empty`);
  if (String(text).length > 4096) throw badRequest('message is too long');
}

function replyMarkupFor(params) {
  const markup = params.reply_markup;
  if (!markup) return undefined;
  if (!markup.inline_keyboard) return undefined; // reply keyboards are not part of a Message
  for (const row of markup.inline_keyboard) {
    for (const button of row) {
      if (typeof button.text !== 'string' || button.text.length === 0) throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      if (button.callback_data !== undefined && Buffer.byteLength(String(button.callback_data)) > 64) throw badRequest('BUTTON_DATA_INVALID');
    }
  }
  return { inline_keyboard: markup.inline_keyboard };
}

// Adds a bot message that the emulator does not know how to send (photo, document, location).
function addBotMedia(state, params, fields) {
  const message = { chat_id: params.chat_id };
  const markup = replyMarkupFor(params);
  if (markup) message.reply_markup = markup;
  const extra = { ...fields };
  if (params.caption !== undefined) {
    const caption = formatted(params.caption, params.parse_mode, params.caption_entities);
    if (caption.text.length > 1024) throw badRequest('message caption is too long');
    extra.caption = caption.text;
    if (caption.entities) extra.caption_entities = caption.entities;
  }
  const result = emulator.addBotMessage(message, state.token);
  state.extraMessages.set(result.message_id, extra);
  return botMessageFromRecord(state.token, findBotRecord(state.token, params.chat_id, result.message_id));
}

function inputFile(params, uploads, field) {
  const value = params[field];
  if (uploads[field]) return { upload: uploads[field] };
  if (typeof value === 'string' && value.startsWith('attach://') && uploads[value.slice(9)]) return { upload: uploads[value.slice(9)] };
  if (typeof value === 'string' && files.has(value)) return { existing: files.get(value) };
  if (typeof value === 'string' && /^https?:/.test(value)) throw badRequest('failed to get HTTP URL content (the test peer fetches no URLs)');
  if (value === undefined) throw badRequest(`there is no ${field} in the request`);
  throw badRequest('wrong file identifier/HTTP URL specified');
}

function chatIdOf(params) {
  if (params.chat_id === undefined || params.chat_id === '') throw badRequest('chat_id is empty');
  if (!/^-?\d+$/.test(String(params.chat_id))) throw badRequest('chat not found');
  return Number(params.chat_id);
}

const SEND_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'sendLocation', 'sendChatAction', 'editMessageText', 'editMessageReplyMarkup', 'editMessageCaption', 'deleteMessage', 'copyMessage', 'forwardMessage']);

function commandsKey(params) {
  const scope = params.scope ? JSON.stringify(params.scope) : '{"type":"default"}';
  return `${scope}|${params.language_code || ''}`;
}

const methods = {
  async getMe(state) {
    const answer = await callEmulator(state.token, 'getMe', {});
    if (!answer.ok) throw new ApiError(500, answer.description);
    return { ...answer.result, ...botUser(state.token), can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false };
  },
  getUpdates,
  async sendMessage(state, params) {
    const chatId = chatIdOf(params);
    const { text, entities } = formatted(params.text, params.parse_mode, params.entities);
    checkText(text);
    const body = { chat_id: chatId, text };
    const markup = replyMarkupFor(params);
    if (markup) body.reply_markup = markup;
    if (entities) body.entities = entities;
    const answer = await callEmulator(state.token, 'sendMessage', body);
    if (!answer.ok) throw new ApiError(500, answer.description);
    return botMessageFromRecord(state.token, findBotRecord(state.token, chatId, answer.result.message_id));
  },
  async editMessageText(state, params) {
    if (params.inline_message_id) throw badRequest('inline messages are not supported by the test peer');
    const chatId = chatIdOf(params);
    const { text, entities } = formatted(params.text, params.parse_mode, params.entities);
    checkText(text);
    const record = findBotRecord(state.token, chatId, params.message_id);
    if (!record) throw badRequest('message to edit not found');
    const markup = replyMarkupFor(params);
    const keyboardOf = (m) => (m && m.inline_keyboard && m.inline_keyboard.length ? m.inline_keyboard : null);
    const sameMarkup = JSON.stringify(keyboardOf(markup)) === JSON.stringify(keyboardOf(record.message.reply_markup));
    if (String(record.message.text) === text && sameMarkup) {
      throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    // Without reply_markup Telegram removes the inline keyboard.
    const body = { chat_id: chatId, message_id: Number(params.message_id), text, entities: entities || null, reply_markup: markup || { inline_keyboard: [] }, edit_date: nowSeconds() };
    const answer = await callEmulator(state.token, 'editMessageText', body);
    if (!answer.ok) throw new ApiError(500, answer.description);
    return botMessageFromRecord(state.token, findBotRecord(state.token, chatId, params.message_id));
  },
  async editMessageReplyMarkup(state, params) {
    if (params.inline_message_id) throw badRequest('inline messages are not supported by the test peer');
    const chatId = chatIdOf(params);
    const record = findBotRecord(state.token, chatId, params.message_id);
    if (!record) throw badRequest('message to edit not found');
    const markup = replyMarkupFor(params) || { inline_keyboard: [] };
    const answer = await callEmulator(state.token, 'editMessageReplyMarkup', { chat_id: chatId, message_id: Number(params.message_id), reply_markup: markup, edit_date: nowSeconds() });
    if (!answer.ok) throw new ApiError(500, answer.description);
    return botMessageFromRecord(state.token, findBotRecord(state.token, chatId, params.message_id));
  },
  async editMessageCaption(state, params) {
    const chatId = chatIdOf(params);
    const record = findBotRecord(state.token, chatId, params.message_id);
    if (!record) throw badRequest('message to edit not found');
    const extra = state.extraMessages.get(record.messageId) || {};
    extra.caption = params.caption === undefined ? undefined : String(params.caption);
    extra.edit_date = nowSeconds();
    state.extraMessages.set(record.messageId, extra);
    const markup = replyMarkupFor(params) || { inline_keyboard: [] };
    record.message = { ...record.message, reply_markup: markup };
    return botMessageFromRecord(state.token, record);
  },
  async deleteMessage(state, params) {
    const chatId = chatIdOf(params);
    const answer = await callEmulator(state.token, 'deleteMessage', { chat_id: chatId, message_id: Number(params.message_id) });
    if (!answer.ok) throw badRequest('message to delete not found');
    return true;
  },
  async answerCallbackQuery(state, params) {
    if (!params.callback_query_id) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    const answer = await callEmulator(state.token, 'answerCallbackQuery', params);
    if (!answer.ok) throw new ApiError(500, answer.description);
    return true;
  },
  async sendPhoto(state, params, uploads) {
    chatIdOf(params);
    const file = inputFile(params, uploads, 'photo');
    let photo;
    if (file.upload) {
      photo = photoSizes([file.upload.bytes]);
    } else {
      const size = imageSize(file.existing.bytes);
      photo = [{ file_id: file.existing.file_id, file_unique_id: file.existing.file_unique_id, width: size.width, height: size.height, file_size: file.existing.file_size }];
    }
    return addBotMedia(state, params, { photo });
  },
  async sendDocument(state, params, uploads) {
    chatIdOf(params);
    const file = inputFile(params, uploads, 'document');
    let record = file.existing;
    if (file.upload) {
      const name = file.upload.filename || 'document';
      const ext = (name.includes('.') ? name.split('.').pop() : 'bin').replace(/[^A-Za-z0-9]/g, '') || 'bin';
      record = storeFile(file.upload.bytes, 'document', ext, { file_name: name, mime_type: file.upload.mime_type || 'application/octet-stream' });
    }
    const document = { file_id: record.file_id, file_unique_id: record.file_unique_id, file_size: record.file_size };
    if (record.file_name) document.file_name = record.file_name;
    if (record.mime_type) document.mime_type = record.mime_type;
    return addBotMedia(state, params, { document });
  },
  async sendLocation(state, params) {
    chatIdOf(params);
    const latitude = Number(params.latitude);
    const longitude = Number(params.longitude);
    if (!Number.isFinite(latitude) || Math.abs(latitude) > 90 || !Number.isFinite(longitude) || Math.abs(longitude) > 180) throw badRequest('wrong latitude or longitude');
    return addBotMedia(state, params, { location: { latitude, longitude } });
  },
  async sendChatAction(state, params) {
    chatIdOf(params);
    const actions = ['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'];
    if (!actions.includes(params.action)) throw badRequest('wrong parameter action in request');
    return true;
  },
  async getFile(state, params) {
    const record = files.get(String(params.file_id || ''));
    if (!record) throw badRequest('invalid file_id');
    return { file_id: record.file_id, file_unique_id: record.file_unique_id, file_size: record.file_size, file_path: record.file_path };
  },
  async setMyCommands(state, params) {
    const commands = params.commands;
    if (!Array.isArray(commands)) throw badRequest('parameter "commands" is required');
    if (commands.length > 100) throw badRequest('too many commands');
    for (const c of commands) {
      if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
      if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
    state.commands.set(commandsKey(params), commands.map((c) => ({ command: c.command, description: c.description })));
    return true;
  },
  async getMyCommands(state, params) {
    return state.commands.get(commandsKey(params)) || [];
  },
  async deleteMyCommands(state, params) {
    state.commands.delete(commandsKey(params));
    return true;
  },
  async setWebhook(state, params) {
    const url = String(params.url || '');
    if (url === '') return methods.deleteWebhook(state, params);
    if (!/^https?:\/\//.test(url)) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    if (params.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(params.secret_token))) throw badRequest('bad webhook: secret token contains unallowed characters');
    const answer = await callEmulator(state.token, 'setWebhook', { url });
    if (!answer.ok) throw new ApiError(500, answer.description);
    state.webhook = { url, secret_token: params.secret_token, max_connections: Number(params.max_connections || 40), allowed_updates: params.allowed_updates };
    if (params.allowed_updates !== undefined) state.allowedUpdates = params.allowed_updates;
    // Updates still waiting for getUpdates go to the webhook now, as on Telegram.
    const pending = String(params.drop_pending_updates) === 'true' ? [] : [...state.buffer];
    state.buffer = [];
    const unread = emulator.storage.userMessages.filter((u) => u.botToken === state.token && !u.isRead);
    unread.forEach((u) => { u.isRead = true; });
    if (String(params.drop_pending_updates) !== 'true') pending.push(...unread.map((u) => normaliseUpdate(state.token, TelegramServer.formatUpdate(u))));
    webhookQueue(state.token).push(...pending);
    pumpWebhook(state.token);
    return true;
  },
  async deleteWebhook(state, params) {
    const answer = await callEmulator(state.token, 'deleteWebhook', {});
    if (!answer.ok) throw new ApiError(500, answer.description);
    state.webhook = null;
    const queued = state.webhookQueue.splice(0);
    if (String(params.drop_pending_updates) !== 'true') state.buffer.push(...queued.map((u) => normaliseUpdate(state.token, u)));
    return true;
  },
  async getWebhookInfo(state) {
    const info = { url: state.webhook ? state.webhook.url : '', has_custom_certificate: false, pending_update_count: state.webhook ? state.webhookQueue.length : state.buffer.length + emulator.storage.userMessages.filter((u) => u.botToken === state.token && !u.isRead).length };
    if (state.webhook) {
      info.max_connections = state.webhook.max_connections;
      info.ip_address = HOST;
      if (state.webhook.allowed_updates) info.allowed_updates = state.webhook.allowed_updates;
      if (state.webhookLastError) {
        info.last_error_date = state.webhookLastError.date;
        info.last_error_message = state.webhookLastError.message;
      }
    }
    return info;
  },
  async logOut() { return true; },
  async close() { return true; },
};
for (const name of ['setMyDescription', 'setMyShortDescription', 'setMyName', 'setChatMenuButton', 'setMyDefaultAdministratorRights']) {
  methods[name] = async () => true;
}
methods.getMyName = async () => ({ name: 'Quartierslotse Test' });
methods.getMyDescription = async () => ({ description: '' });
methods.getMyShortDescription = async () => ({ short_description: '' });
methods.getChat = async (state, params) => {
  const chat = chatFor(chatIdOf(params));
  return { ...chat, accent_color_id: 0, max_reaction_count: 11, accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false } };
};

// ---------------------------------------------------------------------------------------------
// Webhook delivery: one update at a time per bot, in order, retried with backoff.

function webhookQueue(token) {
  return bot(token).webhookQueue;
}

async function pumpWebhook(token) {
  const state = bot(token);
  if (state.webhookBusy) return;
  state.webhookBusy = true;
  try {
    let attempt = 0;
    while (state.webhook && state.webhookQueue.length) {
      const update = normaliseUpdate(token, state.webhookQueue[0]);
      if (state.allowedUpdates && state.allowedUpdates.length && !state.allowedUpdates.includes(updateType(update))) {
        state.webhookQueue.shift();
        continue;
      }
      const headers = { 'content-type': 'application/json' };
      if (state.webhook.secret_token) headers['x-telegram-bot-api-secret-token'] = state.webhook.secret_token;
      let error = null;
      try {
        const response = await fetch(state.webhook.url, { method: 'POST', headers, body: JSON.stringify(update), signal: AbortSignal.timeout(10000) });
        await response.arrayBuffer();
        if (response.status >= 300) error = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      } catch (e) {
        error = `Connection refused (${e.cause ? e.cause.code || e.cause.message : e.message})`;
      }
      if (error === null) {
        state.webhookQueue.shift();
        attempt = 0;
        bus.emit(`webhook:${token}`, update);
      } else {
        state.webhookLastError = { date: nowSeconds(), message: error };
        attempt += 1;
        await new Promise((r) => { setTimeout(r, Math.min(1000, 50 * 2 ** attempt)); });
      }
    }
  } finally {
    state.webhookBusy = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Residents' side (client API): JSON bodies {token, user:{id, first_name, ...}, chat?, ...}

function userOf(body) {
  const u = body.user || {};
  if (!Number.isInteger(Number(u.id))) throw badRequest('user.id is required');
  const user = { id: Number(u.id), is_bot: false, first_name: String(u.first_name || 'Test') };
  for (const key of ['last_name', 'username', 'language_code']) if (u[key]) user[key] = String(u[key]);
  return user;
}

function chatOf(body, user) {
  let chat;
  if (body.chat) {
    const c = body.chat;
    const id = Number(c.id);
    chat = { id, type: c.type || (id < 0 ? (String(id).startsWith('-100') ? 'supergroup' : 'group') : 'private') };
    if (chat.type === 'private') {
      chat.first_name = c.first_name || user.first_name;
      if (user.last_name) chat.last_name = user.last_name;
      if (user.username) chat.username = user.username;
    } else {
      chat.title = c.title || `Group ${id}`;
    }
  } else {
    chat = { id: user.id, type: 'private', first_name: user.first_name };
    if (user.last_name) chat.last_name = user.last_name;
    if (user.username) chat.username = user.username;
  }
  chats.set(chat.id, chat);
  return chat;
}

function commandEntities(text) {
  if (!text.startsWith('/')) return undefined;
  const end = text.search(/\s/);
  return [{ type: 'bot_command', offset: 0, length: end === -1 ? text.length : end }];
}

async function addUserMessage(token, body, fields) {
  const user = userOf(body);
  const chat = chatOf(body, user);
  const messageId = emulator.messageId;
  emulator.messageId += 1;
  const message = { message_id: messageId, from: user, chat, date: nowSeconds(), ...fields };
  bot(token).userMessages.set(`${chat.id}:${messageId}`, message);
  const update = { ...emulator.getCommonFields(token), message, messageId };
  emulator.updateId += 1;
  await emulator.addUserUpdate(update);
  emulator.emit(message.entities ? 'AddedUserCommand' : 'AddedUserMessage');
  bus.emit(`update:${token}`);
  return { update_id: update.updateId, message_id: messageId, chat_id: chat.id };
}

const clientActions = {
  async text(token, body) {
    const text = String(body.text || '');
    const fields = { text };
    const entities = body.entities || commandEntities(text);
    if (entities) fields.entities = entities;
    if (body.forward_from) {
      fields.forward_origin = { type: 'user', sender_user: { id: Number(body.forward_from.id), is_bot: false, first_name: String(body.forward_from.first_name || 'Someone') }, date: nowSeconds() - 60 };
    }
    if (body.reply_to_message_id) {
      const record = findBotRecord(token, body.chat ? body.chat.id : body.user.id, body.reply_to_message_id);
      if (record) fields.reply_to_message = botMessageFromRecord(token, record);
    }
    return addUserMessage(token, body, fields);
  },
  async photo(token, body) {
    const sizes = (body.sizes || []).map((b) => Buffer.from(b, 'base64'));
    if (sizes.length === 0) throw badRequest('sizes (base64 images) are required');
    const fields = { photo: photoSizes(sizes) };
    if (body.caption) fields.caption = String(body.caption);
    if (body.media_group_id) fields.media_group_id = String(body.media_group_id);
    return addUserMessage(token, body, fields);
  },
  async location(token, body) {
    const location = { latitude: Number(body.latitude), longitude: Number(body.longitude) };
    if (body.horizontal_accuracy !== undefined) location.horizontal_accuracy = Number(body.horizontal_accuracy);
    return addUserMessage(token, body, { location });
  },
  async sticker(token, body) {
    const bytes = Buffer.from(body.data ? body.data : 'UklGRgAAAABXRUJQ', 'base64');
    const record = storeFile(bytes, 'sticker', 'webp');
    return addUserMessage(token, body, {
      sticker: { file_id: record.file_id, file_unique_id: record.file_unique_id, type: 'regular', width: 512, height: 512, is_animated: false, is_video: false, emoji: body.emoji || '👍', set_name: 'TestStickers', file_size: record.file_size },
    });
  },
  async voice(token, body) {
    const bytes = Buffer.from(body.data ? body.data : 'T2dnUwACAAAAAAAA', 'base64');
    const record = storeFile(bytes, 'voice', 'oga');
    return addUserMessage(token, body, {
      voice: { file_id: record.file_id, file_unique_id: record.file_unique_id, duration: Number(body.duration || 3), mime_type: 'audio/ogg', file_size: record.file_size },
    });
  },
  async document(token, body) {
    const bytes = Buffer.from(body.data ? body.data : 'JVBERi0xLjQK', 'base64');
    const name = String(body.file_name || 'document.pdf');
    const record = storeFile(bytes, 'document', (name.split('.').pop() || 'bin').replace(/[^A-Za-z0-9]/g, '') || 'bin', { file_name: name });
    const fields = { document: { file_id: record.file_id, file_unique_id: record.file_unique_id, file_name: name, mime_type: String(body.mime_type || 'application/pdf'), file_size: record.file_size } };
    if (body.caption) fields.caption = String(body.caption);
    return addUserMessage(token, body, fields);
  },
  async edit(token, body) {
    // The resident edits an earlier message of theirs: an edited_message update.
    const user = userOf(body);
    const chat = chatOf(body, user);
    const original = bot(token).userMessages.get(`${chat.id}:${Number(body.message_id)}`);
    if (!original) throw badRequest(`no message ${body.message_id} from the resident in chat ${chat.id}`);
    const editedMessage = { ...original, from: user, chat, edit_date: nowSeconds(), text: String(body.text) };
    delete editedMessage.photo;
    bot(token).userMessages.set(`${chat.id}:${editedMessage.message_id}`, editedMessage);
    const update = { ...emulator.getCommonFields(token), editedMessage };
    emulator.updateId += 1;
    await emulator.addUserUpdate(update);
    bus.emit(`update:${token}`);
    return { update_id: update.updateId, message_id: editedMessage.message_id, chat_id: chat.id };
  },
  async membership(token, body) {
    // A user adds the bot to a group or removes it: a my_chat_member update. Removed
    // ('left'/'kicked') also makes sends to the group answer 403, as on Telegram.
    const user = userOf(body);
    if (!body.chat) throw badRequest('chat is required');
    const chat = chatOf(body, user);
    const status = String(body.status || 'member');
    const statuses = ['member', 'administrator', 'left', 'kicked'];
    if (!statuses.includes(status)) throw badRequest(`status must be one of ${statuses.join(', ')}`);
    const me = botUser(token);
    const gone = status === 'left' || status === 'kicked';
    // ChatMember shapes as the Bot API documents them (an administrator carries its rights).
    const adminRights = {
      can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
      can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
      can_change_info: true, can_invite_users: true, can_post_stories: false,
      can_edit_stories: false, can_delete_stories: false,
    };
    const member = (s) => {
      if (s === 'kicked') return { status: s, user: me, until_date: 0 };
      if (s === 'administrator') return { status: s, user: me, ...adminRights };
      return { status: s, user: me };
    };
    const myChatMember = {
      chat, from: user, date: nowSeconds(),
      old_chat_member: member(gone ? 'member' : 'left'),
      new_chat_member: member(status),
    };
    if (gone) bot(token).blocked.add(chat.id);
    else bot(token).blocked.delete(chat.id);
    const update = { ...emulator.getCommonFields(token), myChatMember };
    emulator.updateId += 1;
    await emulator.addUserUpdate(update);
    bus.emit(`update:${token}`);
    return { update_id: update.updateId, chat_id: chat.id };
  },
  async press(token, body) {
    // The resident presses an inline button under the bot's message body.message_id.
    const user = userOf(body);
    const chatId = body.chat ? Number(body.chat.id) : user.id;
    if (body.chat) chatOf(body, user);
    const record = findBotRecord(token, chatId, body.message_id);
    if (!record) throw badRequest(`no bot message ${body.message_id} in chat ${chatId}`);
    const markup = record.message.reply_markup;
    const buttons = markup && markup.inline_keyboard ? markup.inline_keyboard.flat() : [];
    if (!body.force && !buttons.some((b) => b.callback_data === body.data)) {
      throw badRequest(`message ${body.message_id} has no button with callback_data ${JSON.stringify(body.data)} (buttons: ${JSON.stringify(buttons.map((b) => b.callback_data))})`);
    }
    const callbackId = emulator.callbackId;
    const update = {
      ...emulator.getCommonFields(token),
      callbackQuery: { from: user, message: { message_id: record.messageId, chat: chatFor(chatId) }, data: String(body.data) },
      callbackId,
    };
    emulator.updateId += 1;
    emulator.callbackId += 1;
    await emulator.addUserUpdate(update);
    emulator.emit('AddedUserCallbackQuery');
    bus.emit(`update:${token}`);
    return { update_id: update.updateId, callback_query_id: String(callbackId), message_id: record.messageId, chat_id: chatId };
  },
};

// ---------------------------------------------------------------------------------------------
// Control API (for the Python controller)

function recordedCalls(state, query) {
  return state.calls.filter((c) => (!query.method || c.method === query.method)
    && (query.since === undefined || c.seq > Number(query.since)));
}

function botMessages(state, chatId) {
  return emulator.storage.botMessages
    .filter((u) => u.botToken === state.token && (chatId === undefined || String(u.message.chat_id) === String(chatId)))
    .map((record) => botMessageFromRecord(state.token, record));
}

const control = {
  async calls(body) { return recordedCalls(bot(body.token), body); },
  async messages(body) { return botMessages(bot(body.token), body.chat_id); },
  async commands(body) {
    const out = [];
    for (const [key, commands] of bot(body.token).commands) {
      const [scope, language] = key.split('|');
      out.push({ scope: JSON.parse(scope), language_code: language, commands });
    }
    return out;
  },
  async fail(body) {
    const state = bot(body.token);
    state.failures.push({ method: body.method, chat_id: body.chat_id, status: Number(body.status), retry_after: body.retry_after, description: body.description, times: Number(body.times || 1), after: Number(body.after || 0) });
    return true;
  },
  async block(body) {
    const state = bot(body.token);
    if (body.blocked === false) state.blocked.delete(Number(body.chat_id));
    else state.blocked.add(Number(body.chat_id));
    return true;
  },
  async file(body) {
    const record = files.get(body.file_id);
    if (!record) throw badRequest('unknown file');
    return { ...record, bytes: undefined, data: record.bytes.toString('base64') };
  },
  async webhook(body) {
    const state = bot(body.token);
    return { webhook: state.webhook, queued: state.webhookQueue.length, last_error: state.webhookLastError };
  },
  async limits(body) {
    // {enabled, chat: [count, seconds], group: [count, seconds], overall: [count, seconds], slack}
    const state = bot(body.token);
    state.limits = body.enabled === false ? null : {
      chat: body.chat || [1, 1], group: body.group || [20, 60], overall: body.overall || [30, 1], slack: body.slack === undefined ? 0.05 : Number(body.slack),
    };
    return state.limits;
  },
  async wait(body) {
    // Answers once the bot made a call after seq `since` (at once if it has), or after `timeout` s.
    const state = bot(body.token);
    const since = Number(body.since || 0);
    const lastSeq = () => (state.calls.length ? state.calls[state.calls.length - 1].seq : 0);
    const timeout = Math.max(0, Math.min(30, Number(body.timeout || 0)));
    if (lastSeq() <= since && timeout > 0) {
      await new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          bus.off(`call:${state.token}`, done);
          resolve();
        };
        const timer = setTimeout(done, timeout * 1000);
        bus.on(`call:${state.token}`, done);
      });
    }
    return { last_seq: lastSeq() };
  },
  async reset(body) { bots.delete(body.token); return true; },
};

// ---------------------------------------------------------------------------------------------
// HTTP front

let callSeq = 0;

function send(res, status, payload) {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function injectedFailure(state, method, params) {
  const chatId = params.chat_id !== undefined ? Number(params.chat_id) : undefined;
  const index = state.failures.findIndex((f) => f.method === method && (f.chat_id === undefined || f.chat_id === null || Number(f.chat_id) === chatId));
  if (index !== -1) {
    const failure = state.failures[index];
    if (failure.after > 0) {
      failure.after -= 1; // let this many matching calls through first
      return null;
    }
    failure.times -= 1;
    if (failure.times <= 0) state.failures.splice(index, 1);
    return failure;
  }
  if (chatId !== undefined && state.blocked.has(chatId) && SEND_METHODS.has(method)) {
    return { status: 403, description: chatId < 0 ? 'Forbidden: bot was kicked from the group chat' : 'Forbidden: bot was blocked by the user' };
  }
  return null;
}

// Telegram's flood limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
// about 1 message per second in a chat, 20 per minute in a group, 30 per second overall.
// Off by default; control.limits turns them on for a bot. A small slack absorbs timer jitter.
const COUNTED_SENDS = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'sendLocation', 'copyMessage', 'forwardMessage']);

function floodCheck(state, method, params) {
  const limits = state.limits;
  if (!limits || !COUNTED_SENDS.has(method) || params.chat_id === undefined) return null;
  const now = Date.now() / 1000;
  const chatId = Number(params.chat_id);
  const longest = Math.max(limits.chat[1], limits.group[1], limits.overall[1]);
  state.sends = state.sends.filter(([t]) => now - t < longest);
  const wait = (rule, entries) => {
    const [count, window] = rule;
    const inWindow = entries.filter(([t]) => now - t < window - limits.slack);
    if (inWindow.length < count) return 0;
    return inWindow[inWindow.length - count][0] + window - now;
  };
  const rule = chatId < 0 ? limits.group : limits.chat;
  const waitFor = Math.max(wait(rule, state.sends.filter(([, c]) => c === chatId)), wait(limits.overall, state.sends));
  if (waitFor > 0) {
    return { status: 429, retry_after: Math.max(1, Math.ceil(waitFor)) };
  }
  return null;
}

function failureAnswer(failure) {
  const status = failure.status;
  if (status === 429) {
    const retryAfter = Number(failure.retry_after || 1);
    return { status, body: { ok: false, error_code: 429, description: failure.description || `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } } };
  }
  const defaults = { 400: 'Bad Request: injected failure', 401: 'Unauthorized', 403: 'Forbidden: bot was blocked by the user', 409: 'Conflict: injected failure', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return { status, body: { ok: false, error_code: status, description: failure.description || defaults[status] || `Error ${status}` } };
}

function publicParams(params, uploads) {
  const out = { ...params };
  for (const [k, v] of Object.entries(uploads)) out[k] = { upload: v.filename || k, size: v.bytes.length, mime_type: v.mime_type };
  return out;
}

async function handleBotApi(req, res, token, method, url) {
  const state = bot(token);
  const started = Date.now() / 1000;
  const record = { seq: ++callSeq, method, time: started, params: {} };
  let status = 200;
  let answer;
  try {
    const body = await readBody(req);
    const { params, uploads } = await parseParams(req, url, body);
    record.params = publicParams(params, uploads);
    const failure = injectedFailure(state, method, params) || floodCheck(state, method, params);
    if (failure && failure.status === 0) {
      record.status = 0;
      record.error = 'connection dropped';
      state.calls.push(record);
      req.socket.destroy();
      return;
    }
    if (failure) {
      const made = failureAnswer(failure);
      status = made.status;
      answer = made.body;
    } else if (!Object.prototype.hasOwnProperty.call(methods, method)) {
      status = 404;
      answer = { ok: false, error_code: 404, description: 'Not Found' };
    } else {
      const result = await methods[method](state, params, uploads, res);
      answer = { ok: true, result };
    }
  } catch (e) {
    if (e instanceof ApiError) {
      status = e.code;
      answer = { ok: false, error_code: e.code, description: e.description };
      if (e.parameters) answer.parameters = e.parameters;
    } else {
      status = 500;
      answer = { ok: false, error_code: 500, description: `Internal Server Error: ${e && e.message}` };
      process.stderr.write(`telegram peer: ${method}: ${e && e.stack}\n`);
    }
  }
  record.status = status;
  if (answer.ok && COUNTED_SENDS.has(method)) state.sends.push([Date.now() / 1000, Number(record.params.chat_id)]);
  if (answer.ok) record.result = answer.result;
  else record.error = answer.description;
  record.duration = Date.now() / 1000 - started;
  if (method !== 'getUpdates' || !answer.ok || (answer.result && answer.result.length)) {
    state.calls.push(record);
    bus.emit(`call:${token}`);
  }
  send(res, status, answer);
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${HOST}`);
  const path = url.pathname;
  let m = path.match(/^\/bot([^/]+)\/([A-Za-z]+)$/);
  if (m) {
    await handleBotApi(req, res, decodeURIComponent(m[1]), m[2], url);
    return;
  }
  m = path.match(/^\/file\/bot([^/]+)\/(.+)$/);
  if (m) {
    const record = filesByPath.get(decodeURIComponent(m[2]));
    if (!record) {
      send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    res.writeHead(200, { 'content-type': record.mime_type || 'application/octet-stream', 'content-length': record.bytes.length });
    res.end(record.bytes);
    return;
  }
  m = path.match(/^\/(client|control)\/([a-z_]+)$/);
  if (m && req.method === 'POST') {
    try {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      if (!body.token) throw badRequest('token is required');
      const table = m[1] === 'client' ? clientActions : control;
      if (!Object.prototype.hasOwnProperty.call(table, m[2])) throw new ApiError(404, `Not Found: ${m[1]}/${m[2]}`);
      const result = m[1] === 'client' ? await table[m[2]](String(body.token), body) : await table[m[2]](body);
      send(res, 200, { ok: true, result });
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 500;
      send(res, code, { ok: false, error_code: code, description: e.description || String(e && e.message) });
    }
    return;
  }
  if (path === '/health') {
    send(res, 200, { ok: true, result: 'telegram peer' });
    return;
  }
  send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
}

// ---------------------------------------------------------------------------------------------
// Start

async function main() {
  const port = Number(process.argv[2] || 0);
  // The emulator's express app on an internal loopback port chosen by the OS.
  const internal = http.createServer(emulator.webServer);
  await new Promise((resolve, reject) => internal.listen(0, HOST).once('listening', resolve).once('error', reject));
  emulatorUrl = `http://${HOST}:${internal.address().port}`;
  emulator.started = true;

  const front = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      process.stderr.write(`telegram peer: ${e && e.stack}\n`);
      send(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    });
  });
  front.keepAliveTimeout = 60000;
  await new Promise((resolve, reject) => front.listen(port, HOST).once('listening', resolve).once('error', reject));
  process.stdout.write(`TELEGRAM-PEER READY port=${front.address().port} emulator=${internal.address().port}\n`);

  const stop = () => {
    front.close();
    internal.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

process.on('unhandledRejection', (e) => {
  process.stderr.write(`telegram peer: unhandled rejection: ${e && e.stack}\n`);
});

main().catch((e) => {
  process.stderr.write(`telegram peer failed to start: ${e && e.stack}\n`);
  process.exit(1);
});
