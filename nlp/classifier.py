"""The classifier the bot runs with.

PLACEHOLDER until the spaCy pipeline of the NLP issue (#3) lands: keyword stems per category,
the gazetteer for places, function words for the language. Honest about confidence: it is
only confident when exactly one category's keywords match.
"""

from __future__ import annotations

import re

from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.language import detect_language
from nlp.normalize import fold
from nlp.taxonomy import category_ids
from nlp.types import Classification

KEYWORDS: dict[str, tuple[str, ...]] = {
    "road_damage": ("schlagloch", "schlaglöch", "pothole", "gehweg", "pflaster", "bordstein", "asphalt", "riss", "stolper", "radweg", "fahrbahn"),
    "illegal_dumping": ("müll", "sperrmüll", "abgelagert", "entsorgt", "matratze", "reifen", "dumped", "fly-tip", "bauschutt", "rubbish"),
    "street_cleaning": ("papierkorb", "mülleimer", "überfüllt", "hundekot", "scherben", "dreck", "verschmutz", "laub", "litter", "glascontainer"),
    "playground": ("spielplatz", "schaukel", "rutsche", "sandkasten", "klettergerüst", "playground", "swing", "wippe"),
    "street_lighting": ("laterne", "straßenlaterne", "strassenlaterne", "beleuchtung", "lampe", "dunkel", "streetlight", "street light", "lamp"),
    "traffic": ("ampel", "verkehrsschild", "schild", "zebrastreifen", "raser", "tempo", "traffic light", "parken", "falschpark", "kreuzung"),
    "green_spaces": ("baum", "bäume", "hecke", "rasen", "gebüsch", "äste", "grünfläche", "park", "tree", "hedge", "unkraut"),
    "graffiti_vandalism": ("graffiti", "beschmiert", "sprayer", "vandalismus", "zerstört", "tag", "beschädigt", "vandal"),
    "abandoned_vehicles": ("schrottauto", "abgemeldet", "autowrack", "fahrradleiche", "kennzeichen", "abandoned car", "wrack", "ohne kennzeichen"),
    "public_order": ("lärm", "laut", "ruhestörung", "betrunken", "drogen", "pöbel", "noise", "dealer", "party"),
    "public_transport": ("bus", "haltestelle", "aseag", "fahrplan", "bushalte", "bus stop", "wartehäuschen"),
    "water_sewer": ("gully", "kanal", "abfluss", "überschwemm", "wasserrohr", "hydrant", "drain", "sewer", "pfütze", "gestank aus"),
    "neighbourhood": ("nachbarschaft", "nachbar", "treffpunkt", "begegnung", "senioren", "jugendliche", "quartiersbüro", "neighbour", "integration"),
    "idea": ("idee", "vorschlag", "wäre schön", "wünsche", "könnte man", "fest", "idea", "suggest", "suggestion", "bank aufstellen"),
    "other": (),
}


def _keyword(word: str) -> re.Pattern[str]:
    """Keywords match at a word start; short ones only as whole words ("tag" is not "tagen")."""
    end = r"\b" if len(word) <= 4 else ""
    return re.compile(r"\b" + re.escape(fold(word)) + end)


class KeywordClassifier:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.categories = category_ids()
        self.patterns = {cat: [_keyword(w) for w in words] for cat, words in KEYWORDS.items()}

    def classify(self, text: str) -> Classification:
        folded = fold(text)
        hits = {
            cat: sum(bool(p.search(folded)) for p in patterns)
            for cat, patterns in self.patterns.items()
        }
        total = sum(hits.values())
        scores = {
            cat: (hits.get(cat, 0) / total if total else 0.0) * 0.9 + 0.1 / len(self.categories)
            for cat in self.categories
        }
        if not total:
            scores["other"] += 0.2
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.categories.index(kv[0])))
        matched = [cat for cat, n in hits.items() if n]
        return Classification(
            category=ranked[0][0],
            score=ranked[0][1],
            scores=scores,
            top=tuple(ranked[:3]),
            confident=len(matched) == 1,
            language=detect_language(text),
            places=self.gazetteer.find(text),
        )


def load(model_dir: str | None = None, gazetteer: str | None = None) -> KeywordClassifier:
    return KeywordClassifier(load_gazetteer(gazetteer))
