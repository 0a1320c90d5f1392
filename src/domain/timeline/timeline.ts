// The causal timeline of one workspace: the facts and decisions behind its
// current billing state, assembled from what the engine already records
// (workflow histories, the audit, ledger, outbox and Stripe event tables),
// never from a second log. Each source is translated into candidate entries
// by a pure function of its own; this module merges candidates that describe
// the same fact (same `key`, e.g. a Stripe event seen both as a workflow
// signal and as a stripe_event row), orders them and bounds the answer.
import { z } from 'zod';

const isoDate = z.iso.datetime({ offset: true });

/** Where an entry comes from: enough to find the record again. */
export const timelineSourceSchema = z.object({
  workflow: z
    .object({ workflowId: z.string(), runId: z.string(), eventId: z.number().int() })
    .optional()
    .describe('The workflow history event (Temporal Web UI: the run, then the event id)'),
  stripeEventId: z.string().optional().describe('The Stripe event (evt_…) the fact came from'),
  rows: z
    .array(z.object({ table: z.string(), id: z.string() }))
    .optional()
    .describe('Database rows recording it, e.g. operator_audit 42, wallet_entry 7'),
});
export type TimelineSource = z.infer<typeof timelineSourceSchema>;

export const timelineEntrySchema = z.object({
  at: isoDate,
  kind: z.string().describe('Stable kind, e.g. invoice.payment_failed, grace.opened, grace.expired, operator.extend_grace'),
  summary: z.string().describe('One line a support person understands'),
  source: timelineSourceSchema,
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const TIMELINE_DEFAULT_LIMIT = 200;
export const TIMELINE_MAX_LIMIT = 1000;

export const timelineQuerySchema = z.object({
    limit: z.coerce.number().int().min(1).max(TIMELINE_MAX_LIMIT).default(TIMELINE_DEFAULT_LIMIT).describe('The newest N entries (default 200, at most 1000)'),
    from: isoDate.optional().describe('Only entries at or after this time'),
    to: isoDate.optional().describe('Only entries before this time'),
  });
// A window with to at or before from holds no entries (not an error): the document cannot state a rule comparing two parameters.
export type TimelineQuery = z.infer<typeof timelineQuerySchema>;

export const timelineSchema = z.object({
  workspaceId: z.string(),
  entries: z.array(timelineEntrySchema).describe('Oldest first'),
  bounds: z.object({ limit: z.number().int(), from: isoDate.nullable(), to: isoDate.nullable() }),
  truncated: z.boolean().describe('Older entries exist beyond the limit, or older workflow runs were not read'),
});
export type Timeline = z.infer<typeof timelineSchema>;

/** What a source says about one fact, before merging and ordering. */
export interface TimelineCandidate {
  atMs: number;
  kind: string;
  summary: string;
  source: TimelineSource;
  /** Candidates with the same key describe the same fact and become one entry. */
  key?: string;
  /**
   * How well this candidate describes the fact: on a merge, the lowest rank
   * gives the time, kind and summary (workflow facts 0, table rows 1).
   */
  rank: number;
  /** Added to the merged summary when this candidate is not the one that describes it (e.g. "sent 2026-…"). */
  note?: string;
}

export const RANK_WORKFLOW = 0;
export const RANK_ROW = 1;

export interface TimelineBounds {
  limit: number;
  fromMs: number | null;
  toMs: number | null;
}

function mergeSources(a: TimelineSource, b: TimelineSource): TimelineSource {
  const rows = [...(a.rows ?? [])];
  for (const row of b.rows ?? []) if (!rows.some((r) => r.table === row.table && r.id === row.id)) rows.push(row);
  return {
    ...(a.workflow ?? b.workflow ? { workflow: a.workflow ?? b.workflow } : {}),
    ...(a.stripeEventId ?? b.stripeEventId ? { stripeEventId: a.stripeEventId ?? b.stripeEventId } : {}),
    ...(rows.length > 0 ? { rows } : {}),
  };
}

/**
 * Merges, orders (by time, then by the order the sources listed them) and
 * bounds candidates: the newest `limit` entries within [from, to), oldest
 * first. `complete` says whether the sources were read entirely for the
 * bounds (a workflow whose older runs were not read is not).
 */
export function assembleTimeline(
  workspaceId: string,
  candidates: readonly TimelineCandidate[],
  bounds: TimelineBounds,
  complete = true,
): Timeline {
  const groups: TimelineCandidate[][] = [];
  const byKey = new Map<string, TimelineCandidate[]>();
  for (const candidate of candidates) {
    const group = candidate.key === undefined ? undefined : byKey.get(candidate.key);
    if (group) {
      group.push(candidate);
      continue;
    }
    groups.push([candidate]);
    if (candidate.key !== undefined) byKey.set(candidate.key, groups[groups.length - 1]);
  }
  const merged = groups.map((group, order) => {
    const primary = group.reduce((best, c) => (c.rank < best.rank ? c : best));
    const notes = [...new Set(group.filter((c) => c !== primary && c.note).map((c) => c.note!))];
    return { primary, notes, order, source: group.map((c) => c.source).reduce(mergeSources) };
  });
  const inBounds = merged
    .filter(({ primary }) => (bounds.fromMs === null || primary.atMs >= bounds.fromMs) && (bounds.toMs === null || primary.atMs < bounds.toMs))
    .sort((a, b) => a.primary.atMs - b.primary.atMs || a.order - b.order);
  const shown = inBounds.slice(-bounds.limit);
  return {
    workspaceId,
    entries: shown.map(({ primary, source, notes }) => ({
      at: new Date(primary.atMs).toISOString(),
      kind: primary.kind,
      summary: notes.length > 0 ? `${primary.summary} (${notes.join('; ')})` : primary.summary,
      source,
    })),
    bounds: {
      limit: bounds.limit,
      from: bounds.fromMs === null ? null : new Date(bounds.fromMs).toISOString(),
      to: bounds.toMs === null ? null : new Date(bounds.toMs).toISOString(),
    },
    truncated: shown.length < inBounds.length || !complete,
  };
}
