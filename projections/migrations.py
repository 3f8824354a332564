"""Versioned schema migrations for the read models, run at start-up."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from projections.read_models import adjustments, progress, scoring_policies, tenant_settings
from projections.tables import (
    ALIGNMENTS,
    CHECKPOINTS,
    GOALS,
    KEY_RESULTS,
    MIGRATIONS,
    PARKED,
    PARTITION_CHECKPOINTS,
)

PROGRESS = progress.TABLE
KR_ADJUSTMENTS = adjustments.TABLE
POLICY_CHANGES = scoring_policies.TABLE

# Append only: a released migration is never edited, the next change is a new entry.
STEPS: Sequence[tuple[int, str, str]] = (
    (
        1,
        "read models: goals, key results, cascade, progress history, KR adjustment audit",
        f"""
        CREATE TABLE {CHECKPOINTS} (
            projection text PRIMARY KEY,
            last_sequence bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {GOALS} (
            tenant_id text NOT NULL,
            goal_type text NOT NULL,
            goal_id text NOT NULL,
            title text NOT NULL,
            level text NOT NULL,
            owner text NOT NULL,
            team text,
            cycle_id text NOT NULL,
            cycle_starts_on date NOT NULL,
            cycle_ends_on date NOT NULL,
            commitment text,
            status text NOT NULL,
            deadline date,
            metric jsonb,
            personal boolean NOT NULL DEFAULT false,
            value double precision,
            value_at timestamptz,
            confidence double precision,
            confidence_at timestamptz,
            score double precision,
            grade double precision,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, goal_type, goal_id)
        );
        CREATE INDEX goals_by_cycle ON {GOALS} (tenant_id, cycle_id);
        CREATE INDEX goals_by_owner ON {GOALS} (tenant_id, owner);
        CREATE TABLE {KEY_RESULTS} (
            tenant_id text NOT NULL,
            objective_id text NOT NULL,
            key_result_id text NOT NULL,
            position integer NOT NULL,
            title text NOT NULL,
            weight double precision NOT NULL,
            metric jsonb NOT NULL,
            owner text,
            value double precision,
            value_at timestamptz,
            confidence double precision,
            confidence_at timestamptz,
            score double precision NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, objective_id, key_result_id)
        );
        CREATE TABLE {ALIGNMENTS} (
            tenant_id text NOT NULL,
            child_type text NOT NULL,
            child_id text NOT NULL,
            parent_objective_id text NOT NULL,
            parent_key_result_id text NOT NULL DEFAULT '',
            aligned_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, child_type, child_id, parent_objective_id,
                         parent_key_result_id)
        );
        CREATE INDEX alignments_by_parent ON {ALIGNMENTS} (tenant_id, parent_objective_id);
        CREATE TABLE {PROGRESS} (
            stream_sequence bigint PRIMARY KEY,
            tenant_id text NOT NULL,
            goal_type text NOT NULL,
            goal_id text NOT NULL,
            key_result_id text NOT NULL DEFAULT '',
            kind text NOT NULL,
            value double precision NOT NULL,
            confidence double precision,
            note text NOT NULL DEFAULT '',
            source text,
            idempotency_key text,
            applies_at timestamptz NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL,
            actor text NOT NULL,
            superseded boolean NOT NULL DEFAULT false
        );
        CREATE INDEX progress_by_goal ON {PROGRESS} (tenant_id, goal_type, goal_id, applies_at);
        CREATE TABLE {KR_ADJUSTMENTS} (
            stream_sequence bigint PRIMARY KEY,
            tenant_id text NOT NULL,
            objective_id text NOT NULL,
            key_result_id text NOT NULL,
            cycle_id text NOT NULL,
            mid_cycle boolean NOT NULL,
            actor text NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL,
            reason text,
            changed_fields text[] NOT NULL,
            before jsonb NOT NULL,
            after jsonb NOT NULL,
            value_at_adjustment double precision,
            score_under_original double precision,
            score_under_revised double precision
        );
        CREATE INDEX adjustments_by_cycle ON {KR_ADJUSTMENTS} (tenant_id, cycle_id);
        CREATE INDEX adjustments_by_goal ON {KR_ADJUSTMENTS} (tenant_id, objective_id);
        CREATE INDEX adjustments_by_actor ON {KR_ADJUSTMENTS} (tenant_id, actor);
        """,
    ),
    (
        2,
        "parked tenants: an event the projector cannot apply parks its tenant, not all",
        f"""
        CREATE TABLE {PARKED} (
            tenant_id text PRIMARY KEY,
            first_sequence bigint NOT NULL,
            failed_sequence bigint NOT NULL,
            subject text NOT NULL,
            event_id text,
            event_type text,
            error text NOT NULL,
            parked_at timestamptz NOT NULL DEFAULT now(),
            resume_requested_at timestamptz
        );
        """,
    ),
    (
        3,
        "scoring policies: every policy a tenant set, effective at its business time",
        f"""
        CREATE TABLE {POLICY_CHANGES} (
            stream_sequence bigint PRIMARY KEY,
            tenant_id text NOT NULL,
            effective_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL,
            actor text NOT NULL,
            reason text,
            changed text[] NOT NULL,
            previous jsonb NOT NULL,
            policy jsonb NOT NULL
        );
        CREATE INDEX scoring_policy_changes_by_tenant
            ON {POLICY_CHANGES} (tenant_id, stream_sequence);
        """,
    ),
    (
        4,
        "tenant settings: the check-in cadence of each scope and the goal-hygiene limit",
        f"""
        CREATE TABLE {tenant_settings.TABLE} (
            stream_sequence bigint PRIMARY KEY,
            tenant_id text NOT NULL,
            setting text NOT NULL,
            goal_type text NOT NULL DEFAULT '',
            goal_id text NOT NULL DEFAULT '',
            period_days integer,
            grace_days integer,
            stale_after_missed integer,
            max_goals_per_owner integer,
            occurred_at timestamptz NOT NULL,
            actor text NOT NULL
        );
        CREATE INDEX tenant_settings_by_tenant ON {tenant_settings.TABLE} (tenant_id, occurred_at);
        CREATE INDEX progress_check_ins_by_goal ON {PROGRESS} (tenant_id, goal_type, goal_id,
            occurred_at) WHERE kind = 'check_in';
        """,
    ),
    (
        5,
        "partition checkpoints: each partition of tenants has its own, so workers share them",
        f"""
        CREATE TABLE {PARTITION_CHECKPOINTS} (
            projection text NOT NULL,
            partition integer NOT NULL,
            last_sequence bigint NOT NULL,
            owner text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (projection, partition)
        );
        """,
    ),
)

# Serialises concurrent start-ups that would otherwise race to create the same tables.
_LOCK_KEY = 0x6F6B72  # "okr"


async def migrate(conn: asyncpg.Connection, schema: str) -> list[int]:
    """Create ``schema`` if needed and apply the steps it lacks; returns those applied."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS} (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch(f"SELECT version FROM {MIGRATIONS}")}
        for version, description, sql in STEPS:
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute(
                f"INSERT INTO {MIGRATIONS} (version, description) VALUES ($1, $2)",
                version,
                description,
            )
            applied.append(version)
    return applied
