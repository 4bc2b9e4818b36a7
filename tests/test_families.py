"""Story families: three copies of one story are one family; different stories are not."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from config.settings import Settings
from index import article_from_record
from index.ingest import families
from index.ingest.outlets import load_outlets

OUTLETS = load_outlets(Settings().outlets_file)
STORY = ("Kuwait's oil minister said OPEC members were producing about 2.4 mln barrels per day below the "
         "group's ceiling of 15.8 mln bpd, and that the organisation would defend its reference price of 18 dlrs "
         "a barrel. He told a news conference in Kuwait City that there was no need for an emergency meeting and "
         "that member states were keeping to their quotas. Prices firmed on the report, traders said.")
OTHER = ("Brazil's trade surplus doubled in February to 261 mln dlrs from January's 129 mln but stayed well "
         "below the 628 mln dlrs of February last year, official figures show. Coffee earnings fell to 110 mln "
         "dlrs because of lower prices, the director of the foreign trade department told reporters.")


def article(id_, body, title="KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING", hours=0):
    return article_from_record({"id": id_, "title": title, "body": body,
                                "published": (datetime(1987, 3, 24, 3) + timedelta(hours=hours)).isoformat()}, OUTLETS)


class MemoryIndex:
    """The lookup the backend provides: band key -> (article_id, family_id, signature, published)."""

    def __init__(self):
        self.by_key = defaultdict(list)
        self.calls = 0

    def add(self, batch):
        for a in batch:
            for key in families.band_keys(a.signature):
                self.by_key[key].append((a.id, a.family, a.signature, a.published))

    def lookup(self, keys):
        self.calls += 1
        return [item for key in keys for item in self.by_key.get(key, ())]


def test_three_copies_in_one_batch_are_one_family():
    batch = [article("a", STORY), article("b", STORY, hours=4),
             article("c", STORY.replace("Prices firmed on the report, traders said.", "Prices rose, dealers said."),
                     title="KUWAIT SAYS OPEC OUTPUT BELOW CEILING", hours=5),
             article("d", OTHER, title="BRAZIL TRADE SURPLUS RISES")]
    families.assign_families(batch, None)
    assert [a.family for a in batch] == ["a", "a", "a", "d"]
    assert families.similarity(batch[0].signature, batch[2].signature) >= 0.5


def test_later_copies_join_the_stored_family_through_the_lookup():
    index = MemoryIndex()
    first = [article("a", STORY), article("d", OTHER, title="BRAZIL TRADE SURPLUS RISES")]
    families.assign_families(first, index.lookup)
    index.add(first)
    second = [article("b", STORY, hours=2), article("e", OTHER + " More follows.", title="BRAZIL SURPLUS", hours=1)]
    families.assign_families(second, index.lookup, threshold=0.5)
    assert [a.family for a in second] == ["a", "d"] and index.calls == 2


def test_reingesting_an_article_does_not_make_it_its_own_duplicate():
    index = MemoryIndex()
    batch = [article("a", STORY)]
    families.assign_families(batch, index.lookup)
    index.add(batch)
    again = [article("a", STORY)]
    families.assign_families(again, index.lookup)
    assert again[0].family == "a"


def test_template_reports_days_apart_are_not_one_story():
    ships = "There were seven grain ships loading and six ships were waiting to load at Portland, according to the Portland Merchants Exchange."
    batch = [article("p1", ships, title="GRAIN SHIPS LOADING AT PORTLAND"),
             article("p2", ships.replace("seven", "three"), title="GRAIN SHIPS LOADING AT PORTLAND", hours=48)]
    families.assign_families(batch, None)
    assert [a.family for a in batch] == ["p1", "p2"]
    families.assign_families(batch, None, max_gap=None)  # without the window they would be grouped
    assert batch[1].family == "p1"


def test_signature_encoding_and_band_keys_round_trip():
    sig = families.signature(article("a", STORY))
    assert (families.decode(families.encode(sig)) == sig).all()
    keys = families.band_keys(families.encode(sig))
    assert len(keys) == families.BANDS + 1 == len(set(keys)) and keys == families.band_keys(sig)
    assert keys[-1].startswith("lead:")  # the body's first 25 words
    assert families.similarity(sig, families.signature(article("b", OTHER))) < 0.2
    old = sig[:families.NUM_PERM]  # as stored before counts and leads were kept: still read
    assert families.band_keys(old) == keys[:-1] and families.similarity(old, sig) == 1.0


# A story filed short first, then in full (or the other way round): the same opening paragraphs.
TAKE = ("Energy Secretary John Herrington said he will propose tax incentives to increase domestic oil and "
        "natural gas exploration and production to the administration for consideration. These options boost "
        "production while avoiding the huge costs of an oil import fee, Herrington told a House subcommittee.")
MORE = ("He said the proposals, including a larger depletion allowance and repeal of the windfall profits tax, "
        "should be weighed against their cost to the Treasury. The department estimates that domestic output "
        "fell by about 600,000 barrels a day last year as low prices shut marginal wells across Texas and "
        "Oklahoma. Imports could reach half of consumption by the early 1990s unless exploration recovers, "
        "the report found. Committee members from producing states welcomed the plan but said it came late, "
        "and several asked why an import fee had been ruled out so quickly. Herrington said a fee would raise "
        "costs for every consumer and for industries that use oil, and that the administration preferred "
        "incentives aimed at production. The report will go to the domestic policy council next month.")


def test_a_short_take_and_the_full_story_are_one_family():
    """Their shingles overlap too little for the threshold, but the short one is all inside the long one;
    they are candidates by their opening words, in one batch or through the lookup."""
    short, full = article("s", TAKE, title="DOE SECRETARY PROPOSES OIL TAX INCENTIVES"), \
        article("f", TAKE + " " + MORE, title="U.S. ENERGY SECRETARY PROPOSES OIL TAX INCENTIVES", hours=3)
    assert families.similarity(families.signature(short), families.signature(full)) < 0.5
    batch = [short, full]
    families.assign_families(batch, None)
    assert [a.family for a in batch] == ["s", "s"]
    index = MemoryIndex()
    first = [article("f", TAKE + " " + MORE)]
    families.assign_families(first, index.lookup)
    index.add(first)
    later = [article("s", TAKE, hours=2)]
    families.assign_families(later, index.lookup)
    assert later[0].family == "f"
    far = [article("s", TAKE, hours=60)]  # the same words days later: a story told again, not a version
    families.assign_families(far, index.lookup)
    assert far[0].family == "s"


def test_a_digest_opening_with_a_story_is_not_its_version():
    """A digest whose first item is the story shares its opening words, but little of the story is in it."""
    digest = TAKE + " " + " ".join(f"Item {n}: the {word} market closed {n} points higher on light volume in {city}."
                                   for n, (word, city) in enumerate(zip(
                                       ["copper", "zinc", "cocoa", "coffee", "sugar", "rubber", "tin", "lead"],
                                       ["London", "Kuala Lumpur", "New York", "Chicago", "Tokyo", "Paris", "Sydney",
                                        "Toronto"])))
    batch = [article("f", TAKE + " " + MORE), article("d", digest, title="COMMODITIES HIGHLIGHTS", hours=1)]
    families.assign_families(batch, None)
    assert [a.family for a in batch] == ["f", "d"]


def test_old_signatures_are_compared_by_similarity_alone():
    """Signatures stored before counts were kept have no containment rule (and no lead key)."""
    short, full = families.signature(article("s", TAKE)), families.signature(article("f", TAKE + " " + MORE))
    assert families.likeness(short, full) is not None
    assert families.likeness(short[:families.NUM_PERM], full) is None
    assert families.likeness(full, full[:families.NUM_PERM]) == 1.0


def test_a_warmed_worker_has_the_story_family_hashing_loaded(tmp_path):
    """Warming (what a served worker does as it starts) imports datasketch and draws its permutations,
    so a worker's first write does not (0.4 s); checked in a fresh process, which had imported nothing."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from pathlib import Path; from config.settings import Settings; from index import Index; "
            "where = Path(sys.argv[1]); print('datasketch' in sys.modules, end=' '); "
            "ix = Index.open(where, create=True, settings=Settings(index_dir=where, keys_file=where.parent / 'k.json', "
            "entities=False, semantic=False)); ix.warm(); print('datasketch' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "index")], capture_output=True, text=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
