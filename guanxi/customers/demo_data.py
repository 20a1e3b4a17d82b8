"""Deterministic demo data for `guanxi demo`: users, teams, customers and their history.

Same seed and same reference date → the same rows. Every random draw comes from
`random.Random` streams seeded from the seed, consumed in a fixed order, so the
chunk size used for writing does not change the data.

Speed: rows are built as plain tuples and written in bulk — `executemany` inside
one transaction on SQLite, `COPY … FROM STDIN` (psycopg 3) on PostgreSQL — so
100k customers with 1M orders load in well under a minute. Nothing is written
row by row, and simple-history does not record these rows (seed data).
"""

import datetime as dt
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from guanxi.accounts.models import Role, Team, User

from . import demo_vocab as V
from .bulk import BulkWriter
from .models import (
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    Need,
    Order,
    OwnershipChange,
    Tag,
)
from .numbering import reserve_customer_numbers

HISTORY_DAYS = 3 * 365  # customers were acquired over the last three years
ORDER_DAYS = 730  # orders span the last 24 months
CHUNK = 20_000  # customers per write batch: bounded memory even at millions of rows
ORDER_TICKET = 1000.0  # CNY, the median order of a small customer
PARETO_ALPHA = 1.16  # log4(5): the Pareto shape where the top 20 % hold 80 % of the value
MAX_CUSTOMERS = 10_000_000
MAX_ORDERS = 100_000_000
MAX_REPS = 500

Progress = Callable[[str], None]


class DemoError(ValueError):
    """Bad options; the command reports it as a CommandError."""


@dataclass(frozen=True)
class DemoOptions:
    customers: int = 2000
    orders: int = 20000
    reps: int = 6
    seed: int = 1
    password: str | None = None
    as_of: dt.date | None = None  # reference "today"; fixed dates make runs comparable

    def validate(self) -> None:
        if not 0 <= self.customers <= MAX_CUSTOMERS:
            raise DemoError(f"--customers must be between 0 and {MAX_CUSTOMERS:,}.")
        if not 0 <= self.orders <= MAX_ORDERS:
            raise DemoError(f"--orders must be between 0 and {MAX_ORDERS:,}.")
        if self.orders and not self.customers:
            raise DemoError("--orders needs customers to belong to: set --customers > 0.")
        if not 1 <= self.reps <= MAX_REPS:
            raise DemoError(f"--reps must be between 1 and {MAX_REPS}.")
        if self.password is not None and not self.password.strip():
            raise DemoError("--password must not be empty.")


@dataclass
class DemoResult:
    password: str
    password_generated: bool
    created_users: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def has_customers() -> bool:
    """True once any customer exists, soft-deleted ones included (`--if-empty`)."""
    return Customer.objects.exists()


def load_demo(options: DemoOptions, progress: Progress = lambda _msg: None) -> DemoResult:
    """Create the demo users and `options.customers` customers with their history."""
    options.validate()
    started = time.monotonic()
    password = options.password or secrets.token_urlsafe(9)
    result = DemoResult(password=password, password_generated=options.password is None)
    today = options.as_of or timezone.localdate()
    with transaction.atomic():
        users, result.created_users = ensure_users(options.reps, password, options.seed)
        progress(f"users: {len(users)} ({len(result.created_users)} new)")
        if options.customers:
            gen = _Generator(options, users, today, progress)
            gen.run(result.counts)
    _analyze()
    result.seconds = time.monotonic() - started
    return result


# --- users -----------------------------------------------------------------


def rep_usernames(reps: int) -> list[tuple[str, str]]:
    """(username, team) for `reps` reps split over teams A and B, A taking the odd one."""
    team_a = (reps + 1) // 2
    names = [(f"rep_a{i}", "A") for i in range(1, team_a + 1)]
    return names + [(f"rep_b{i}", "B") for i in range(1, reps - team_a + 1)]


def ensure_users(reps: int, password: str, seed: int) -> tuple[dict[str, User], list[str]]:
    """Create the missing demo users; existing accounts are left exactly as they are."""
    rng = random.Random(f"{seed}:users")
    # One hash for all: they share the password anyway, and PBKDF2 costs ~0.3 s a call.
    hashed = make_password(password)
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in ("A", "B")}
    wanted: list[tuple[str, str, str | None, str]] = [
        ("admin", Role.ADMIN, None, "系统管理员"),
        ("director", Role.DIRECTOR, None, _person(rng)[0]),
        ("manager_a", Role.MANAGER, "A", _person(rng)[0]),
        ("manager_b", Role.MANAGER, "B", _person(rng)[0]),
    ]
    wanted += [(u, Role.REP, t, _person(rng)[0]) for u, t in rep_usernames(reps)]
    existing = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
    created = []
    for username, role, team, display in wanted:
        if username in existing:
            continue
        existing[username] = User.objects.create(
            username=username,
            password=hashed,
            role=role,
            team=teams[team] if team else None,
            display_name=display,
            email=f"{username}@guanxi.example",
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        created.append(username)
    for name, team in teams.items():
        if team.manager_id is None:
            team.manager = existing[f"manager_{name.lower()}"]
            team.save(update_fields=["manager"])
    return existing, created


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(Chinese name, surname pinyin, given-name pinyin)."""
    surname, s_py, _w = rng.choices(V.SURNAMES, cum_weights=_SURNAME_CUM)[0]
    first, f_py = rng.choice(V.GIVEN_CHARS)
    if rng.random() < 0.65:
        second, p2 = rng.choice(V.GIVEN_CHARS)
        return surname + first + second, s_py, f_py + p2
    return surname + first, s_py, f_py


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


_SURNAME_CUM = _cum([w for *_x, w in V.SURNAMES])


# --- customer-level plan ---------------------------------------------------


def allocate_orders(
    weights: Sequence[float],
    windows: Sequence[int],
    buyers: Sequence[int],
    total: int,
    one_timers: frozenset[int] = frozenset(),
) -> list[int]:
    """Split `total` orders over `buyers` (indexes): each gets one, the rest by weight.

    Order frequency grows with sqrt(weight) and with the days the customer could
    order in; amounts grow with weight too, so revenue follows the Pareto weights
    (a few big customers, many small ones). `one_timers` stay at their first order
    (trial buyers). Largest-remainder rounding makes the counts add up to `total`.
    """
    counts = [0] * len(weights)
    if total <= 0 or not buyers:
        return counts
    if total < len(buyers):
        for i in sorted(buyers, key=lambda i: (-weights[i], i))[:total]:
            counts[i] = 1
        return counts
    for i in buyers:
        counts[i] = 1
    repeaters = [i for i in buyers if i not in one_timers] or list(buyers)
    shares = [(i, math.sqrt(weights[i]) * windows[i] / ORDER_DAYS) for i in repeaters]
    extra = total - len(buyers)
    scale = extra / sum(share for _i, share in shares)
    remainders = []
    for i, share in shares:
        quota = share * scale
        counts[i] += int(quota)
        remainders.append((quota - int(quota), -i))
    left = total - sum(counts)
    for _frac, neg_i in sorted(remainders, reverse=True)[:left]:
        counts[-neg_i] += 1
    return counts


class _Generator:
    """Builds row tuples customer by customer and hands them to the bulk writer."""

    def __init__(
        self, options: DemoOptions, users: dict[str, User], today: dt.date, progress: Progress
    ):
        self.o = options
        self.today = today.toordinal()
        self.progress = progress
        self.rng = random.Random(f"{options.seed}:rows")
        self.reps = [users[u] for u, _t in rep_usernames(options.reps)]
        self.rep_cum = _cum(
            [
                random.Random(f"{options.seed}:load:{u.username}").uniform(0.6, 1.4)
                for u in self.reps
            ]
        )
        self.manager_of = {
            u.pk: users["manager_a" if u.username.startswith("rep_a") else "manager_b"].pk
            for u in self.reps
        }
        self.team_of = {u.pk: u.username[4] for u in self.reps}
        tz = ZoneInfo(settings.TIME_ZONE)
        noon = dt.datetime.combine(today, dt.time(12), tzinfo=tz)
        # Fixed offset (no DST in Asia/Shanghai; elsewhere an hour off is fine for demo times).
        self.utc_offset = int(noon.utcoffset().total_seconds())
        self.dates: dict[int, str] = {}
        self.writer = BulkWriter(connection)
        self.tag_ids = self._tags()
        self.industry_keys = list(V.INDUSTRIES)
        self.industry_cum = _cum([V.INDUSTRIES[k][0] for k in self.industry_keys])
        self.city_cum = _cum([c[4] for c in V.CITIES])
        self.suffix_cum = _cum([w for _s, w in V.COMPANY_SUFFIXES])
        self.size_cum = _cum([w for _s, w in V.SIZE_BANDS])
        self.source_cum = _cum([w for _s, w in V.SOURCES])
        self.prospect_cum = _cum([w for _s, w in V.PROSPECT_STAGES])
        self.channels = ["phone", "wechat", "visit", "email", "video", "event"]
        self.channel_cum = _cum([40, 25, 15, 10, 6, 4])
        self.content_kinds = ["value", "service", "emotional"]
        self.content_cum = _cum([55, 30, 15])

    # -- helpers --------------------------------------------------------------

    def _tags(self) -> list[int]:
        for name, color in V.TAGS:
            Tag.objects.get_or_create(name=name, defaults={"color": color})
        names = [n for n, _c in V.TAGS]
        by_name = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        return [by_name[n] for n in names]

    def date(self, ordinal: int) -> str:
        s = self.dates.get(ordinal)
        if s is None:
            s = self.dates[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return s

    def ts(self, ordinal: int, local_seconds: int) -> str:
        """A naive UTC timestamp string (what Django stores) for a local day and time."""
        day, sec = divmod(ordinal * 86400 + local_seconds - self.utc_offset, 86400)
        return f"{self.date(day)} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"

    def work_time(self) -> int:
        """Seconds after local midnight within office hours, 09:00–18:00."""
        return 32400 + int(self.rng.random() * 32400)

    # -- main loop ------------------------------------------------------------

    def run(self, counts: Counter) -> None:
        o, rng = self.o, random.Random(f"{self.o.seed}:plan")
        n = o.customers
        # Ages in days, oldest first so ids and numbers grow with creation time;
        # the exponent makes recent months busier (a growing sales team).
        ages = sorted((int(HISTORY_DAYS * rng.random() ** 1.3) for _ in range(n)), reverse=True)
        weights = [min(rng.paretovariate(PARETO_ALPHA), 5000.0) for _ in range(n)]
        windows = [min(a, ORDER_DAYS - 1) + 1 for a in ages]
        # Older customers had more time to become buyers.
        buyers = [i for i, a in enumerate(ages) if rng.random() < 0.15 + 0.5 * min(a / 365, 1)]
        one_timers = frozenset(i for i in buyers if rng.random() < 0.15)
        order_counts = allocate_orders(weights, windows, buyers, o.orders, one_timers)
        numbers = self._numbers(ages)
        self.next_customer = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_contact = (Contact.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_order_no = Order.objects.count() + 1
        first_id = self.next_customer
        self.sales: list[float] = []
        for start in range(0, n, CHUNK):
            rows: dict[type, list[tuple]] = {}
            for i in range(start, min(n, start + CHUNK)):
                self.customer(rows, numbers[i], ages[i], weights[i], order_counts[i])
            for model in _WRITE_ORDER:
                batch = rows.get(model, [])
                self.writer.write(model, _COLUMNS[model], batch)
                counts[model._meta.model_name] += len(batch)
            done = min(n, start + CHUNK)
            self.progress(
                f"customers {done:,}/{n:,} · contacts {counts['contact']:,} · "
                f"interactions {counts['interaction']:,} · orders {counts['order']:,}"
            )
        self.writer.reset_sequences(_WRITE_ORDER)
        self.progress(
            f"customers {first_id}–{self.next_customer - 1} written; "
            f"top 20% of buyers bring {_top_share(self.sales):.0%} of sales"
        )

    def _numbers(self, ages: list[int]) -> list[str]:
        """Customer numbers C+yyyymm+sequence, reserved month by month (one UPDATE each)."""
        months = Counter()
        for age in ages:
            d = dt.date.fromordinal(self.today - age)
            months[(d.year, d.month)] += 1
        numbers: list[str] = []
        for (year, month), count in sorted(months.items()):
            numbers += reserve_customer_numbers(dt.date(year, month, 1), count)
        return numbers

    # -- one customer and everything hanging off it ---------------------------

    def customer(self, rows, number: str, age: int, weight: float, n_orders: int) -> None:
        rng, rand = self.rng, self.rng.random
        cid = self.next_customer
        self.next_customer += 1
        created_day = self.today - age
        industry = self.industry_keys[_pick(rng, self.industry_cum)]
        word, word_py = rng.choice(V.INDUSTRIES[industry][1])
        city, province, area, city_py, _w = V.CITIES[_pick(rng, self.city_cum)]
        brand, brand_py = self._brand()
        name = self._company_name(city, province, brand, word)
        size_i = min(4, _pick(rng, self.size_cum) + (weight > 5) + (weight > 40))
        size = V.SIZE_BANDS[size_i][0]
        lo, hi = V.REVENUE_BY_SIZE[size]
        revenue = f"{_log_uniform(rng, lo, hi):.2f}" if rand() < 0.9 else None
        owner = self.reps[_pick(rng, self.rep_cum)].pk
        stage, lost_reason = self._stage(age, n_orders)
        is_buyer = n_orders > 0
        churned_days = 0
        if is_buyer and age > 400 and rand() < 0.12:
            churned_days = rng.randint(200, min(age, ORDER_DAYS) - 30)
            if rand() < 0.5:
                stage, lost_reason = "lost", rng.choice(V.LOST_REASONS)
        late_stage = stage in ("intention", "negotiation", "won", "repurchase")
        budget_min = budget_max = None
        if late_stage and rand() < 0.7:
            low = round(_log_uniform(rng, 2e4, 2e5) * math.sqrt(weight), -3)
            budget_min, budget_max = f"{low:.2f}", f"{low * rng.uniform(1.2, 2.5):.2f}"
        website = ""
        domain = ""
        if rand() < 0.6:
            domain = f"{brand_py}{word_py}.{'com' if rand() < 0.6 else 'com.cn'}"
            website = f"https://www.{domain}"
        profile_day = created_day + int(rand() * age)
        created_at = self.ts(created_day, self.work_time())
        profile_at = self.ts(profile_day, self.work_time())
        deleted = rand() < 0.003
        contract = "none"
        if is_buyer:
            contract = "expired" if churned_days else rng.choice(("active", "active", "expired"))
        rows.setdefault(Customer, []).append(
            (
                cid,
                created_at,
                profile_at if profile_day > created_day else created_at,  # updated_at
                1,  # version
                self.ts(self.today - rng.randint(1, 60), self.work_time()) if deleted else None,
                owner if deleted else None,  # deleted_by
                number,
                name,
                industry,
                size,
                revenue,
                f"{city}市{rng.choice(V.DISTRICTS)}{rng.choice(V.ROADS)}"
                f"{rng.randint(1, 999)}号{rng.choice(V.BUILDINGS)}",
                city,
                website,
                f"{area}-{rng.randint(2000, 8999)} {rng.randint(0, 9999):04d}"
                if rand() < 0.85
                else "",
                V.SOURCES[_pick(rng, self.source_cum)][0],
                stage,
                lost_reason,
                owner,
                weight > 50 and rand() < 0.5,  # is_strategic
                rng.choice(V.PAIN_POINTS),
                rng.choice(V.PURCHASE_NEEDS),
                budget_min,
                budget_max,
                rng.choice(V.DECISION_PROCESSES) if late_stage else "",
                rng.choice(("high", "medium", "low", "")),
                "A" if weight > 20 else ("B" if weight > 3 else rng.choice(("C", "C", ""))),
                rng.choice(("price", "quality", "delivery", "service", "")),
                self.channels[_pick(rng, self.channel_cum)] if rand() < 0.7 else "",
                rng.choice(V.COOPERATION_HISTORY) if is_buyer else "",
                rng.choice((3, 4, 4, 5, 5, 2)) if is_buyer else None,  # satisfaction
                contract,
                rng.choice(V.CUSTOMER_NOTES),
                website != "" and rand() < 0.5,  # verified_by_website
                rand() < 0.4,  # verified_by_phone
                profile_at,
            )
        )
        self._ownership(rows, cid, owner, created_day, created_at)
        if rand() < 0.1:
            self._collaborator(rows, cid, owner)
        if rand() < 0.4:
            for tag in rng.sample(self.tag_ids, rng.choice((1, 1, 2))):
                rows.setdefault(_CustomerTag, []).append((cid, tag))
        contacts = self._contacts(rows, cid, created_at, area, domain)
        self._interactions(rows, cid, owner, age, stage, contacts)
        if rand() < 0.3:
            self._needs(rows, cid, owner, age)
        if n_orders:
            self._orders(rows, cid, age, weight, n_orders, churned_days)

    def _brand(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.3:
            return rng.choice(V.BRANDS)
        first, f_py = rng.choice(V.BRAND_FIRST)
        second, s_py = rng.choice(V.BRAND_SECOND)
        if second == first:
            second, s_py = V.BRAND_SECOND[0]
        return first + second, f_py + s_py

    def _company_name(self, city: str, province: str, brand: str, word: str) -> str:
        rng = self.rng
        suffix = V.COMPANY_SUFFIXES[_pick(rng, self.suffix_cum)][0]
        if suffix == "科技有限公司" and word.endswith(("科技", "技术", "软件")):
            suffix = "有限公司"
        form = rng.random()
        if form < 0.55:
            return f"{city}{brand}{word}{suffix}"
        if form < 0.70:
            return f"{city}市{brand}{word}{suffix}"
        if form < 0.82:
            return f"{brand}{word}（{city}）{suffix}"
        if form < 0.92:
            return f"{province}{brand}{word}{suffix}"
        return f"{brand}{word}集团有限公司"

    def _stage(self, age: int, n_orders: int) -> tuple[str, str]:
        rng = self.rng
        if n_orders >= 2:
            return "repurchase", ""
        if n_orders == 1:
            return "won", ""
        if age > 365 and rng.random() < 0.2:
            return "lost", rng.choice(V.LOST_REASONS)
        return V.PROSPECT_STAGES[_pick(rng, self.prospect_cum)][0], ""

    def _ownership(self, rows, cid: int, owner: int, created_day: int, created_at: str) -> None:
        rng = self.rng
        log = rows.setdefault(OwnershipChange, [])
        if len(self.reps) > 1 and rng.random() < 0.03:
            # Handed over from a colleague (rep left, book rebalanced): history is kept.
            first = self.reps[rng.randrange(len(self.reps))].pk
            if first != owner:
                log.append((cid, None, first, first, created_at, "created"))
                moved = created_day + int(rng.random() * (self.today - created_day))
                reason = rng.choice(("销售离职交接", "客户池调整", "区域重新划分"))
                log.append(
                    (cid, first, owner, self.manager_of[owner], self.ts(moved, 36000), reason)
                )
                return
        log.append((cid, None, owner, owner, created_at, "created"))

    def _collaborator(self, rows, cid: int, owner: int) -> None:
        rng = self.rng
        same_team = [u.pk for u in self.reps if self.team_of[u.pk] == self.team_of[owner]]
        pool = same_team if rng.random() < 0.7 else [u.pk for u in self.reps]
        pool = [pk for pk in pool if pk != owner]
        if pool:
            rows.setdefault(CustomerCollaborator, []).append((cid, rng.choice(pool)))

    def _contacts(self, rows, cid: int, created_at: str, area: str, domain: str) -> list[int]:
        rng, rand = self.rng, self.rng.random
        out = rows.setdefault(Contact, [])
        ids = []
        titles = list(V.TITLES)
        for k in range(rng.choice((1, 1, 1, 2, 2, 2, 2, 3, 3, 3))):
            title, role, kp_chance = rng.choice(V.FIRST_CONTACT_TITLES if k == 0 else titles)
            titles = [t for t in titles if t[0] != title]
            name, s_py, g_py = _person(rng)
            if rand() < 0.88:
                phone = f"{rng.choice(V.MOBILE_PREFIXES)}-{rng.randint(0, 9999):04d}-"
                phone += f"{rng.randint(0, 9999):04d}"
            else:
                phone = f"{area}-{rng.randint(2000, 8999)} {rng.randint(0, 9999):04d}"
            email = ""
            if domain and rand() < 0.7:
                email = f"{g_py}.{s_py}@{domain}"
            elif rand() < 0.3:
                email = f"{rng.randint(10**7, 10**10)}@{rng.choice(('qq.com', '163.com'))}"
            wechat = f"wxid_{rng.getrandbits(40):010x}" if rand() < 0.5 else ""
            contact_id = self.next_contact
            self.next_contact += 1
            ids.append(contact_id)
            out.append(
                (
                    contact_id,
                    created_at,
                    created_at,
                    1,
                    cid,
                    name,
                    title,
                    phone,
                    email,
                    wechat,
                    role,
                    rand() < kp_chance,
                    rng.choice(V.PREFERENCES),
                    "",
                )
            )
        return ids

    _INTERACTIONS = {
        "lead": (0, 2),
        "potential": (1, 3),
        "intention": (2, 4),
        "negotiation": (3, 6),
        "won": (2, 5),
        "repurchase": (3, 7),
        "lost": (1, 3),
    }

    def _interactions(
        self, rows, cid: int, owner: int, age: int, stage: str, contacts: list[int]
    ) -> None:
        rng, rand = self.rng, self.rng.random
        out = rows.setdefault(Interaction, [])
        count = rng.randint(*self._INTERACTIONS[stage])
        # Most customers were touched recently; some are dormant (nothing for 6+ months).
        ago = rng.randint(181, 420) if rand() < 0.08 else rng.randint(0, 45)
        for k in range(count):
            ago = min(ago, age)
            day = self.today - ago
            at = self.ts(day, self.work_time())
            kind = self.content_kinds[_pick(rng, self.content_cum)]
            summary = rng.choice(V.INTERACTION_SUMMARIES[kind]).format(
                product=rng.choice(V.PRODUCT_LINES)[0], n=rng.randint(5, 30)
            )
            next_action, due = "", None
            if k == 0 and rand() < 0.7:  # the latest contact plans the next one
                next_action = rng.choice(V.NEXT_ACTIONS)
                due = self.date(day + rng.randint(1, 14))
            out.append(
                (
                    at,
                    at,
                    1,
                    cid,
                    rng.choice(contacts) if contacts and rand() < 0.9 else None,
                    at,
                    self.channels[_pick(rng, self.channel_cum)],
                    kind,
                    summary,
                    rng.choice(V.FEEDBACKS),
                    next_action,
                    due,
                    owner,
                )
            )
            ago += rng.randint(5, 40)

    def _needs(self, rows, cid: int, owner: int, age: int) -> None:
        rng = self.rng
        out = rows.setdefault(Need, [])
        for _k in range(rng.choice((1, 1, 2))):
            status = rng.choice(("not_started", "in_progress", "in_progress", "done"))
            created = self.today - rng.randint(0, min(age, 120))
            expected = created + rng.randint(7, 90)
            actual = None
            if status == "done":
                actual = self.date(min(self.today, expected + rng.randint(-10, 10)))
            at = self.ts(created, self.work_time())
            out.append(
                (
                    at,
                    at,
                    1,
                    cid,
                    rng.choice(V.NEED_DESCRIPTIONS).format(n=rng.randint(2, 20)),
                    rng.choice(("high", "medium", "medium", "low")),
                    rng.choice(("high", "medium", "medium", "low")),
                    rng.choice(V.MATCHED_SOLUTIONS),
                    status,
                    owner,
                    self.date(expected),
                    actual,
                )
            )

    def _orders(self, rows, cid: int, age: int, weight: float, n: int, churned_days: int) -> None:
        """Orders on a purchase cycle: evenly spaced with jitter, over the active window."""
        rng, rand = self.rng, self.rng.random
        out = rows.setdefault(Order, [])
        start = self.today - min(age, ORDER_DAYS - 1)
        end = self.today - churned_days if churned_days else self.today
        end = max(end, start)
        span = end - start + 1
        # A customer buys from one to three lines, bigger ones reaching the big tickets;
        # the first is its main line.
        reach = min(len(V.PRODUCT_LINES), 3 + int(math.log10(weight) * 2))
        lines = rng.sample(range(reach), min(reach, rng.randint(1, 3)))
        line_cum = _cum([V.PRODUCT_LINES[j][2] * (4 if k == 0 else 1) for k, j in enumerate(lines)])
        ticket = ORDER_TICKET * weight**0.75  # typical order size of this customer
        margin_shift = -1.5 * math.log10(weight)  # volume discounts for big accounts
        total = 0.0
        for k in range(n):
            day = start + int((k + rand()) * span / n)
            amount = ticket * math.exp(rng.gauss(0, 0.5))
            name, (p_lo, p_hi), _f, (m_lo, m_hi) = V.PRODUCT_LINES[lines[_pick(rng, line_cum)]]
            unit = _log_uniform(rng, p_lo, p_hi)
            qty = max(1, round(amount / unit))
            margin = max(5.0, min(90.0, rng.uniform(m_lo, m_hi) + margin_shift))
            at = self.ts(day, self.work_time())
            d = dt.date.fromordinal(day)
            total += unit * qty
            out.append(
                (
                    at,
                    at,
                    1,
                    cid,
                    f"SO{d:%Y%m}-{self.next_order_no:07d}",
                    self.date(day),
                    f"{unit * qty:.2f}",
                    f"{margin:.2f}",
                    name,
                    qty,
                )
            )
            self.next_order_no += 1
        self.sales.append(total)


def _pick(rng: random.Random, cum: list[float]) -> int:
    """Index drawn with the cumulative weights `cum` (faster than random.choices for k=1)."""
    x = rng.random() * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return lo * (hi / lo) ** rng.random()


def _top_share(sales: list[float]) -> float:
    """Share of sales made by the top 20 % of buyers: the Pareto sanity line."""
    ranked = sorted(sales, reverse=True)
    if not ranked:
        return 0.0
    return sum(ranked[: max(1, len(ranked) // 5)]) / sum(ranked)


def _analyze() -> None:
    """Fresh PostgreSQL statistics: a bulk load changes the tables' shape completely.

    SQLite is left without sqlite_stat1, as every database Django fills is (Django
    never runs ANALYZE there). With statistics SQLite's planner turns the list
    filters into a skip-scan of cust_owner_industry and a sort of a quarter of
    the table (~40 ms at 100k customers instead of ~4 ms; docs/benchmarks.md).
    """
    if connection.vendor != "postgresql":
        return
    # VACUUM also merges GIN pending lists (a bulk load leaves them long, and every
    # search scans them) and sets the visibility map; it cannot run in a transaction.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in _WRITE_ORDER:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


_CustomerTag = Customer.tags.through

# Written parents first; each tuple above lists values in exactly this column order.
_COLUMNS: dict[type, tuple[str, ...]] = {
    Customer: (
        "id",
        "created_at",
        "updated_at",
        "version",
        "deleted_at",
        "deleted_by",
        "number",
        "name",
        "industry",
        "size_band",
        "annual_revenue",
        "address",
        "city",
        "website",
        "phone",
        "source",
        "stage",
        "lost_reason",
        "owner",
        "is_strategic",
        "pain_points",
        "purchase_needs",
        "budget_min",
        "budget_max",
        "decision_process",
        "urgency",
        "potential_class",
        "focus",
        "preferred_channel",
        "cooperation_history",
        "satisfaction",
        "contract_status",
        "notes",
        "verified_by_website",
        "verified_by_phone",
        "profile_updated_at",
    ),
    OwnershipChange: ("customer", "from_owner", "to_owner", "changed_by", "changed_at", "reason"),
    CustomerCollaborator: ("customer", "user"),
    _CustomerTag: ("customer", "tag"),
    Contact: (
        "id",
        "created_at",
        "updated_at",
        "version",
        "customer",
        "name",
        "title",
        "phone",
        "email",
        "wechat",
        "decision_role",
        "is_key_person",
        "preferences",
        "notes",
    ),
    Interaction: (
        "created_at",
        "updated_at",
        "version",
        "customer",
        "contact",
        "occurred_at",
        "channel",
        "content_type",
        "summary",
        "feedback",
        "next_action",
        "next_action_due",
        "owner",
    ),
    Need: (
        "created_at",
        "updated_at",
        "version",
        "customer",
        "description",
        "urgency",
        "importance",
        "matched_solution",
        "status",
        "owner",
        "expected_finish",
        "actual_finish",
    ),
    Order: (
        "created_at",
        "updated_at",
        "version",
        "customer",
        "number",
        "ordered_on",
        "amount",
        "gross_margin",
        "product_line",
        "quantity",
    ),
}
_WRITE_ORDER = list(_COLUMNS)
