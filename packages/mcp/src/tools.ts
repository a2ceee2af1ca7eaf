/**
 * The MCP tools: which API operations an agent gets, under which names. Everything else about a tool (its
 * input and output schemas, where each argument goes, which keys may call it) is generated from the OpenAPI
 * document into generated/operations.ts (`npm run generate`); the hints follow from the operation (server.ts).
 */
export interface ToolDefinition {
  /** What the agent calls: `<area>_<verb>`. */
  name: string;
  /** The API operation (route id) the tool calls. */
  operationId: string;
  title: string;
  /** Said after the operation's own summary and description: when to pick this tool. */
  description?: string;
  /** Only these of the operation's inputs (default: all of them). */
  inputs?: readonly string[];
  /** Sends mail or calls a URL outside Mailroom. */
  openWorld?: true;
  /** Returns mail received from outside: its text is marked as untrusted input. */
  untrusted?: true;
  /** Not a GET, yet changes nothing (a render). */
  readOnly?: true;
  /**
   * Not destructive, yet it runs only with `confirm: true`, for this reason (said to the agent): it mails many
   * people at once, which an instruction planted in received mail must not be able to start alone.
   */
  confirm?: string;
  /** The field of the answer that holds a secret the API shows only this once (`api_key.key`). */
  secret?: string;
}

export const TOOLS: readonly ToolDefinition[] = [
  { name: 'inboxes_list', operationId: 'inboxes.list', title: 'List inboxes' },
  { name: 'inboxes_get', operationId: 'inboxes.get', title: 'Get an inbox' },
  { name: 'inboxes_create', operationId: 'inboxes.create', title: 'Create an inbox', secret: 'api_key.key' },

  {
    name: 'messages_list',
    operationId: 'inbox-messages.list',
    title: "List an inbox's messages",
    description: 'To filter by sender, label, read state or time, use messages_search. Read a whole message with messages_get.',
    inputs: ['id', 'limit', 'cursor'],
    untrusted: true,
  },
  {
    name: 'messages_search',
    operationId: 'inbox-messages.list',
    title: "Search an inbox's messages",
    description: 'Combine any of the filters; with none it lists every message.',
    untrusted: true,
  },
  { name: 'messages_get', operationId: 'inbox-messages.get', title: 'Read a message', untrusted: true },
  { name: 'messages_send', operationId: 'inbox-sends.send', title: 'Send a new message from an inbox', openWorld: true },
  { name: 'messages_reply', operationId: 'inbox-sends.reply', title: 'Reply to a message', openWorld: true },
  { name: 'messages_reply_all', operationId: 'inbox-sends.reply-all', title: 'Reply to all on a message', openWorld: true },
  { name: 'messages_forward', operationId: 'inbox-sends.forward', title: 'Forward a message', openWorld: true },

  { name: 'threads_list', operationId: 'inbox-threads.list', title: "List an inbox's threads", untrusted: true },
  { name: 'threads_get', operationId: 'inbox-threads.get', title: 'Read a thread', untrusted: true },

  { name: 'emails_send', operationId: 'emails.send', title: 'Send an email', openWorld: true },
  { name: 'emails_list', operationId: 'emails.list', title: 'List sent emails' },
  { name: 'emails_get', operationId: 'emails.get', title: 'Get an email and its events' },
  { name: 'emails_cancel', operationId: 'emails.cancel', title: 'Cancel a scheduled email' },

  { name: 'domains_list', operationId: 'domains.list', title: 'List sending domains' },
  { name: 'domains_get', operationId: 'domains.get', title: 'Get a domain and its DNS records' },
  { name: 'domains_create', operationId: 'domains.create', title: 'Add a sending domain' },
  { name: 'domains_verify', operationId: 'domains.verify', title: "Check a domain's DNS records now" },

  { name: 'contacts_list', operationId: 'contacts.list', title: 'List contacts' },
  { name: 'contacts_get', operationId: 'contacts.get', title: 'Get a contact' },
  { name: 'contacts_update', operationId: 'contacts.update', title: 'Update a contact' },
  { name: 'contacts_delete', operationId: 'contacts.delete', title: 'Delete a contact' },
  { name: 'contacts_identify', operationId: 'identify.upsert', title: 'Create or update a contact by email address' },
  { name: 'events_track', operationId: 'events.track', title: "Track an event on a contact's timeline" },

  { name: 'campaigns_list', operationId: 'campaigns.list', title: 'List campaigns' },
  { name: 'campaigns_get', operationId: 'campaigns.get', title: 'Get a campaign' },
  { name: 'campaigns_create', operationId: 'campaigns.create', title: 'Create a campaign' },
  {
    name: 'campaigns_launch',
    operationId: 'campaigns.launch',
    title: 'Launch a campaign',
    openWorld: true,
    confirm: 'It starts mailing many people: a broadcast goes to every contact of its segment, a triggered campaign emails every contact it enrols.',
  },
  { name: 'campaigns_pause', operationId: 'campaigns.pause', title: 'Pause a campaign' },
  { name: 'campaigns_stats', operationId: 'campaign-stats.get', title: "Get a campaign's stats" },

  { name: 'templates_list', operationId: 'templates.list', title: 'List templates' },
  { name: 'templates_get', operationId: 'templates.get', title: 'Get a template' },
  { name: 'templates_create', operationId: 'templates.create', title: 'Create a template' },
  { name: 'templates_render', operationId: 'templates.render', title: 'Render a template with variables', readOnly: true },

  { name: 'stats_get', operationId: 'stats.get', title: "Get the team's sending and audience stats" },

  { name: 'webhooks_list', operationId: 'webhooks.list', title: 'List webhook endpoints' },
  { name: 'webhooks_create', operationId: 'webhooks.create', title: 'Add a webhook endpoint', secret: 'secret' },
  { name: 'webhooks_delete', operationId: 'webhooks.delete', title: 'Delete a webhook endpoint' },
  { name: 'webhooks_test', operationId: 'webhooks.test', title: 'Send a test event to a webhook endpoint', openWorld: true },
];
