"""The Mastodon half of the world: accounts, statuses, notifications, conversations."""

from __future__ import annotations

import re

from .records import VISIBILITIES, Invalid, MAccount, MConversation, NotFound, Notification, Status

_MENTION_RE = re.compile(r"(?<![\w/])@([A-Za-z0-9_]+)(?:@([A-Za-z0-9.\-]+\.[A-Za-z]{2,}))?")


class MastodonWorld:
    """Verbs on a Mastodon instance. Mixed into World, which supplies the lock, ids and _emit."""

    # --- Mastodon -----------------------------------------------------------------------

    def create_maccount(
        self,
        username: str,
        display_name: str,
        *,
        domain: str | None = None,
        note: str = "",
        account_id: str | None = None,
        bot: bool = False,
    ) -> MAccount:
        with self.lock:
            for existing in self.maccounts.values():
                if existing.username.lower() == username.lower() and existing.domain == domain:
                    raise Invalid(f"account {existing.acct} exists")
            account_id = account_id or str(self.rng.randint(100_000, 999_999_999_999))
            while account_id in self.maccounts:
                account_id = str(self.rng.randint(100_000, 999_999_999_999))
            created = self.now() - self.rng.randint(30, 2_000) * 86_400
            account = MAccount(account_id, username, display_name, domain, note, created, bot)
            account.followers_count = self.rng.randint(0, 400)
            account.following_count = self.rng.randint(0, 300)
            self.maccounts[account_id] = account
            self._touch()
            return account

    def account_by_acct(self, acct: str) -> MAccount | None:
        username, _, domain = acct.lstrip("@").partition("@")
        for account in self.maccounts.values():
            if (
                account.username.lower() == username.lower()
                and (account.domain or "") == domain.lower()
            ):
                return account
        return None

    def live_status(self, status_id: str) -> Status:
        status = self.statuses.get(status_id)
        if status is None or status.deleted_at is not None:
            raise NotFound(status_id)
        return status

    def statuses_of(self, account_id: str) -> list[Status]:
        return [self.statuses[s] for s in self._statuses_by_account.get(account_id, [])]

    def children_of(self, status_id: str) -> list[Status]:
        return [self.statuses[s] for s in self._children.get(status_id, [])]

    def _parse_mentions(self, text: str) -> list[str]:
        found: list[str] = []
        for match in _MENTION_RE.finditer(text):
            acct = match.group(1) + (f"@{match.group(2)}" if match.group(2) else "")
            account = self.account_by_acct(acct)
            if account and account.id not in found:
                found.append(account.id)
        return found

    def create_status(
        self,
        account_id: str,
        text: str,
        *,
        visibility: str = "public",
        in_reply_to_id: str | None = None,
        spoiler_text: str = "",
        sensitive: bool = False,
        language: str = "sv",
        idempotency_key: str | None = None,
        media_attachments: list[dict] | None = None,
        application: dict | None = None,
        at: float | None = None,
    ) -> Status:
        with self.lock:
            if account_id not in self.maccounts:
                raise NotFound(account_id)
            if visibility not in VISIBILITIES:
                raise Invalid("Validation failed: Visibility is not included in the list")
            if not text.strip() and not media_attachments:
                raise Invalid("Validation failed: Text can't be blank")
            if idempotency_key:
                key = f"{account_id}:{idempotency_key}"
                known = self.idempotency.get(key)
                if known and self.now() - known[1] < 3600 and known[0] in self.statuses:
                    return self.statuses[known[0]]
            parent = None
            if in_reply_to_id:
                parent = self.statuses.get(in_reply_to_id)
                if parent is None or parent.deleted_at is not None:
                    raise NotFound(in_reply_to_id)
            t = self.now() if at is None else at
            status = Status(
                self.snowflake(t),
                account_id,
                text,
                t,
                visibility,
                spoiler_text,
                sensitive,
                parent.id if parent else None,
                parent.account_id if parent else None,
                language,
                self._parse_mentions(text),
                media_attachments=list(media_attachments or []),
                application=application,
            )
            self.statuses[status.id] = status
            self._statuses_by_account.setdefault(account_id, []).append(status.id)
            if parent:
                self._children.setdefault(parent.id, []).append(status.id)
            if idempotency_key:
                self.idempotency[f"{account_id}:{idempotency_key}"] = [status.id, self.now()]
            for mentioned in status.mentions:
                if mentioned != account_id:
                    self._notify(mentioned, "mention", account_id, status.id, t)
            if visibility == "direct":
                self._update_mconversations(status)
            self._emit(
                "mastodon.status",
                account_id,
                {"status_id": status.id, "visibility": visibility},
                f"status {status.id}",
            )
            return status

    def edit_status(
        self,
        status_id: str,
        text: str,
        *,
        spoiler_text: str | None = None,
        sensitive: bool | None = None,
    ) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if not text.strip():
                raise Invalid("Validation failed: Text can't be blank")
            if not status.history:
                status.history.append(self._snapshot(status, status.created_at))
            status.text = text
            if spoiler_text is not None:
                status.spoiler_text = spoiler_text
            if sensitive is not None:
                status.sensitive = sensitive
            status.edited_at = max(self.now(), status.created_at + 0.001)
            status.history.append(self._snapshot(status, status.edited_at))
            known = set(status.mentions)
            for mentioned in self._parse_mentions(text):
                if mentioned not in known:
                    status.mentions.append(mentioned)
                    if mentioned != status.account_id:
                        self._notify(
                            mentioned, "mention", status.account_id, status.id, status.edited_at
                        )
            # Mastodon tells only the accounts that boosted a status about its edits.
            for booster in status.reblogged_by:
                self._notify(booster, "update", status.account_id, status.id, status.edited_at)
            self._emit(
                "mastodon.edit",
                status.account_id,
                {"status_id": status.id},
                f"status {status.id} edited",
            )
            return status

    def delete_status(self, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            status.deleted_at = self.now()
            for notification_id in [
                n.id for n in self.notifications.values() if n.status_id == status_id
            ]:
                del self.notifications[notification_id]
            for conv_id in [
                c.id for c in self.mconversations.values() if c.last_status_id == status_id
            ]:
                self._refresh_mconversation(self.mconversations[conv_id])
            self._emit(
                "mastodon.delete",
                status.account_id,
                {"status_id": status.id},
                f"status {status.id} deleted",
            )
            return status

    def favourite(self, account_id: str, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if account_id not in status.favourited_by:
                status.favourited_by.append(account_id)
                if status.account_id != account_id:
                    self._notify(status.account_id, "favourite", account_id, status.id, self.now())
            self._touch()
            return status

    def reblog(self, account_id: str, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if status.visibility in ("private", "direct"):
                raise Invalid("This action is not allowed")
            if account_id not in status.reblogged_by:
                status.reblogged_by.append(account_id)
                if status.account_id != account_id:
                    self._notify(status.account_id, "reblog", account_id, status.id, self.now())
            self._touch()
            return status

    def _snapshot(self, status: Status, at: float) -> dict:
        return {
            "text": status.text,
            "spoiler_text": status.spoiler_text,
            "sensitive": status.sensitive,
            "created_at": at,
            "media_attachments": list(status.media_attachments),
        }

    def _notify(
        self, account_id: str, kind: str, from_id: str, status_id: str | None, at: float
    ) -> None:
        account = self.maccounts.get(account_id)
        if account is None or account.domain is not None:
            return  # remote accounts are notified by their own instance
        self._notif_seq += 1
        notification_id = str(10_000_000 + self._notif_seq)
        self.notifications[notification_id] = Notification(
            notification_id, account_id, kind, from_id, status_id, at
        )
        self._touch()

    def _thread_root(self, status: Status) -> str:
        seen = set()
        current = status
        while (
            current.in_reply_to_id
            and current.in_reply_to_id in self.statuses
            and current.id not in seen
        ):
            seen.add(current.id)
            current = self.statuses[current.in_reply_to_id]
        return current.id

    def _update_mconversations(self, status: Status) -> None:
        participants = {status.account_id, *status.mentions}
        root = self._thread_root(status)
        for owner in participants:
            account = self.maccounts.get(owner)
            if account is None or account.domain is not None:
                continue
            others = sorted(participants - {owner})
            conv = next(
                (
                    c
                    for c in self.mconversations.values()
                    if c.owner_id == owner and c.root_status_id == root
                ),
                None,
            )
            if conv is None:
                self._mconv_seq += 1
                conv = MConversation(
                    str(400_000 + self._mconv_seq),
                    owner,
                    others,
                    root,
                    status.id,
                    owner != status.account_id,
                )
                self.mconversations[conv.id] = conv
            else:
                conv.participant_ids = sorted(set(conv.participant_ids) | set(others))
                conv.last_status_id = status.id
                conv.unread = owner != status.account_id
        self._touch()

    def _refresh_mconversation(self, conv: MConversation) -> None:
        candidates = [
            s
            for s in self.statuses.values()
            if s.deleted_at is None
            and s.visibility == "direct"
            and self._thread_root(s) == conv.root_status_id
            and (s.account_id == conv.owner_id or conv.owner_id in s.mentions)
        ]
        if candidates:
            conv.last_status_id = max(candidates, key=lambda s: int(s.id)).id
        else:
            del self.mconversations[conv.id]
