"""Keyword rules: word stems that clearly point to a category.

The trained model sees word n-grams; these rules add what residents say in few words ("laterne
aus", "sperrmüll") and what the corpus may lack. Stems match at a word start (so compounds like
"Sperrmüllhaufen" count); short ones only as whole words. They are combined with the model's
scores in nlp.classifier (weight tuned on the dev split), never used alone.
"""

from __future__ import annotations

import re

from nlp.normalize import match_fold

KEYWORDS: dict[str, tuple[str, ...]] = {
    "road_damage": (
        "schlagloch",
        "schlaglöcher",
        "pothole",
        "gehwegplatte",
        "pflaster",
        "bordstein",
        "asphalt",
        "stolperfalle",
        "fahrbahn",
        "buckelpiste",
        "kerb",
        "tarmac",
        "paving",
    ),
    "illegal_dumping": (
        "sperrmüll",
        "abgeladen",
        "entsorgt",
        "matratze",
        "autoreifen",
        "bauschutt",
        "dumped",
        "fly-tip",
        "müllsäcke",
        "gerümpel",
        "müllkippe",
        "ablagerung",
    ),
    "street_cleaning": (
        "papierkorb",
        "mülleimer",
        "überfüllt",
        "quillt",
        "hundekot",
        "hundehaufen",
        "scherben",
        "verdreckt",
        "dreckig",
        "laub",
        "litter",
        "glascontainer",
        "kippen",
        "bottle bank",
    ),
    "playground": (
        "spielplatz",
        "schaukel",
        "rutsche",
        "sandkasten",
        "klettergerüst",
        "playground",
        "swing",
        "wippe",
        "sandpit",
        "seesaw",
        "spielgerät",
    ),
    "street_lighting": (
        "laterne",
        "straßenlaterne",
        "beleuchtung",
        "straßenbeleuchtung",
        "lampe",
        "leuchte",
        "street light",
        "streetlight",
        "lamp",
        "dunkel",
        "stockdunkel",
    ),
    "traffic": (
        "ampel",
        "verkehrsschild",
        "stoppschild",
        "markierung",
        "zebrastreifen",
        "verkehrsspiegel",
        "traffic light",
        "road sign",
        "road marking",
        "schild",
    ),
    "green_spaces": (
        "baum",
        "bäume",
        "hecke",
        "rasen",
        "äste",
        "ast",
        "sträucher",
        "grünfläche",
        "unkraut",
        "tree",
        "hedge",
        "branch",
        "mähen",
        "gemäht",
        "beet",
    ),
    "graffiti_vandalism": (
        "graffiti",
        "beschmiert",
        "schmiererei",
        "sprayer",
        "vandalismus",
        "hakenkreuz",
        "parolen",
        "zerstört",
        "vandal",
        "swastika",
        "besprüht",
        "gesprüht",
    ),
    "abandoned_vehicles": (
        "schrottauto",
        "abgemeldet",
        "autowrack",
        "fahrradleiche",
        "kennzeichen",
        "nummernschild",
        "e-scooter",
        "scooter",
        "wrack",
        "abandoned car",
        "number plates",
    ),
    "public_order": (
        "lärm",
        "ruhestörung",
        "pöbel",
        "falschpark",
        "gehwegparker",
        "parken",
        "parkt",
        "noise",
        "betrunken",
        "drogen",
        "ohne leine",
        "raser",
        "laute musik",
    ),
    "public_transport": (
        "bushaltestelle",
        "haltestelle",
        "wartehäuschen",
        "bushäuschen",
        "fahrplan",
        "aseag",
        "bus stop",
        "bus shelter",
        "timetable",
        "anzeigetafel",
        "bus",
    ),
    "water_sewer": (
        "gully",
        "gulli",
        "kanal",
        "abfluss",
        "überschwemm",
        "wasserrohrbruch",
        "hydrant",
        "drain",
        "sewer",
        "pfütze",
        "sewage",
        "flood",
    ),
    "neighbourhood": (
        "nachbarschaft",
        "treffpunkt",
        "begegnung",
        "senioren",
        "einsam",
        "deutschkurs",
        "integration",
        "jugendzentrum",
        "neighbour",
        "lonely",
        "beratung",
    ),
    "idea": (
        "idee",
        "vorschlag",
        "anregung",
        "wie wäre es",
        "wäre schön",
        "wäre toll",
        "idea",
        "suggestion",
        "how about",
        "fest",
        "garten",
    ),
    "other": (),
}


def _pattern(word: str) -> re.Pattern[str]:
    folded = re.escape(match_fold(word))
    end = r"\b" if len(word) <= 4 else ""
    return re.compile(r"\b" + folded + end)


class KeywordRules:
    def __init__(self, keywords: dict[str, tuple[str, ...]] = KEYWORDS) -> None:
        self.patterns = {cat: [_pattern(w) for w in words] for cat, words in keywords.items()}

    def hits(self, text: str) -> dict[str, int]:
        """How many distinct stems of each category occur in the text."""
        folded = match_fold(text)
        return {cat: sum(bool(p.search(folded)) for p in ps) for cat, ps in self.patterns.items()}
