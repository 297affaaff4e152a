"""A fifth batch of hand-written message cores (session 4), appended after cores_session3d.

For the categories a bag of words confuses most: idea vs neighbourhood vs other, public order vs
neighbourhood, vandalism vs street cleaning. Each core says plainly what kind of concern it is
(a suggestion, a social need, an office question, a disturbance, damage done on purpose, dirt),
the way residents of Aachen write. Written by hand; cores close to an existing core (word
overlap) were rewritten before generating.
"""

from __future__ import annotations

MORE3E: dict[str, tuple[list[str], list[str]]] = {
    "idea": (
        [
            "mein Vorschlag: am Kaiserplatz einmal im Monat ein Nachbarschaftspicknick",
            "könnte man im Frankenberger Park nicht ein kleines Freiluftkino im August machen",
            "Idee für Rothe Erde: eine Tauschbörse für Werkzeug im Gemeindesaal",
            "wir würden gern Blumenzwiebeln an den Baumscheiben in unserer Straße setzen, geht das",
            "schlage vor, den leeren Laden an der Ecke als Repair-Café zu nutzen",
            "ein Bücherschrank an der Haltestelle Misereor wäre eine schöne Sache",
            "Anregung: eine Lesebank mit Dach am Hangeweiher",
            "wie wäre es mit einem Lastenrad zum Ausleihen fürs ganze Viertel",
            "wir Anwohner wollen einen Kräutergarten auf der Brachfläche anlegen, wer hilft uns",
            "Idee: ein Straßenfest in der Oppenhoffallee mit Flohmarkt und Musik",
            "vielleicht ließe sich ein Boule-Platz im Kurpark Burtscheid einrichten",
            "ich hätte eine Anregung für den Stadtteil: Sitzbänke mit Tischen am Spielplatz",
            "Vorschlag aus Forst: Adventssingen auf dem Platz vor der Kirche",
            "es wäre super, wenn es in Haaren eine Fahrradwerkstatt zum Selbermachen gäbe",
            "wär doch schön, wenn mer en Bank am Lousberg krije, för de Alde",
            "Idee: ein gemeinsamer Apfelbaum-Pflanztag für die Kinder der Kita",
            "wir möchten eine Laterne-Lauf-Aktion im November für die ganze Straße anregen",
            "könnte die Stadt nicht Patenschaften für die Blumenbeete anbieten",
            "Anregung: Trinkwasserspender am Markt für heiße Sommertage",
            "meine Idee wäre ein offener Bücherabend in der Stadtteilbibliothek",
            "schlagen vor, den Parkplatz sonntags für Kinder zum Rollschuhfahren zu sperren",
        ],
        [
            "suggestion: a monthly neighbourhood picnic on Kaiserplatz",
            "how about an open-air cinema night in Frankenberger Park in August",
            "idea: a tool library for the quarter in the parish hall",
            "we'd love to plant flower bulbs around the street trees, could we",
            "why not turn the empty shop on the corner into a repair café",
            "it would be great to have a cargo bike the whole street can borrow",
            "proposal: a drinking water fountain at the market square",
        ],
    ),
    "neighbourhood": (
        [
            (
                "meine Nachbarin ist über 80, allein und hat "
                "seit Wochen niemanden gesehen, wer kann sie besuchen"
            ),
            "gibt es in Driescher Hof einen Treff, wo Mütter mit Babys sich austauschen können",
            "wir sind aus Syrien zugezogen und suchen einen Deutschkurs mit Kinderbetreuung",
            (
                "in unserem Haus gibt es ständig Streit "
                "zwischen zwei Familien, gibt es eine Schlichtungsstelle"
            ),
            "die Jugendlichen in Preuswald haben nichts zu tun, kein Jugendzentrum weit und breit",
            "ich suche Leute, die mit mir ehrenamtlich für Senioren einkaufen gehen",
            "der Seniorentreff in Eilendorf hat zu gemacht, wo sollen die Alten jetzt hin",
            "ich fühle mich seit dem Tod meines Mannes sehr einsam, gibt es Gesprächskreise",
            "wir brauchen einen Raum, in dem sich die Hausgemeinschaft treffen kann",
            "meine Nachbarn sprechen kaum Deutsch und brauchen Hilfe beim Ausfüllen von Briefen",
            "gibt es Paten, die neu zugezogenen Familien das Viertel zeigen",
            (
                "die Stimmung zwischen Alteingesessenen und Neuen in "
                "der Siedlung ist schlecht, kann jemand vermitteln"
            ),
            (
                "wo finden Jugendliche in Brand einen Ort "
                "zum Abhängen, der nicht die Bushaltestelle ist"
            ),
            "mein Nachbar ist dement und irrt oft herum, an wen kann ich mich wenden",
            "als Alleinerziehende suche ich Kontakt zu anderen Eltern im Viertel",
            "wat jitt et för de Pänz en Kullen, nix",
            "wer kümmert sich um Menschen, die in der Siedlung völlig vereinsamt sind",
            "suche Begegnungsangebote für Geflüchtete und Einheimische in Rothe Erde",
            "gibt es eine Anlaufstelle, wenn Nachbarn Hilfe im Alltag brauchen",
        ],
        [
            "my elderly neighbour lives alone and hasn't seen anyone for weeks, can someone visit",
            "we moved here from abroad and need a German course with childcare",
            "two families in our building fight all the time, is there a mediation service",
            "teenagers here have nowhere to go, there's no youth centre nearby",
            "is there a homework club for primary school kids in the east quarter",
        ],
    ),
    "other": (
        [
            "wann hat das Bürgerservice-Büro am Katschhof samstags geöffnet",
            "ich wollte nur mal sagen: danke an die Leute vom Stadtbetrieb, super Arbeit",
            "wie melde ich meinen Wohnsitz um, wenn ich innerhalb von Aachen umziehe",
            "wo kann ich einen neuen Personalausweis beantragen",
            (
                "ich habe einen Strafzettel bekommen und finde "
                "ihn ungerecht, wo lege ich Widerspruch ein"
            ),
            "gibt es einen Termin für die Eheschließung im Standesamt im Mai",
            "welche Unterlagen brauche ich für den Anwohnerparkausweis",
            "mein Handy ist im Bus liegen geblieben, wo ist das Fundbüro",
            "test test, funktioniert das hier",
            "die Heizung in meiner Mietwohnung geht nicht und der Vermieter reagiert nicht",
            "ich suche Informationen zur Einbürgerung",
            "kann ich hier auch eine Beschwerde über das Jobcenter loswerden",
            "Glückwunsch zum neuen Portal, gefällt mir",
            "mein Nachbar hat mir Geld geliehen und will es jetzt doppelt zurück, ist das erlaubt",
            "wie bekomme ich eine Kopie meiner Geburtsurkunde",
            "welche Öffnungszeiten hat die Ausländerbehörde",
        ],
        [
            "my landlord refuses to return my deposit, what can I do",
            "just wanted to say thanks to the street cleaning crew, great job",
        ],
    ),
    "public_order": (
        [
            "jeden Samstag laute Party im Hinterhof bis morgens um fünf",
            (
                "auf dem Gehweg vor der Schule parken "
                "Eltern jeden Morgen, Kinder müssen auf die Straße"
            ),
            "die Hunde vom Nachbarn laufen frei auf dem Spielplatz herum und bellen Kinder an",
            "Lieferwagen stehen ständig im Halteverbot auf dem Radweg in der Pontstraße",
            "die Bar gegenüber stellt die Musikboxen raus, man kann nicht schlafen",
            "Leute grillen auf der Wiese am Westpark und lassen die Kohle glühend liegen",
            "nachts fahren hier Autoposer mit aufheulenden Motoren um den Block",
            "auf dem Bushof wird offen mit Drogen gedealt",
            "ein Mann bedroht Passanten am Bahnhofsvorplatz mit einer Flasche",
            "der Nachbar lässt jeden Sonntag den Laubbläser stundenlang laufen",
            "betrunkene Studenten grölen nachts durch die Pontstraße",
            "E-Scooter-Fahrer rasen über den Gehweg am Markt",
            "da hät eene sing Hond widder ohne Lien loofe losse, dä hät mich jebesse",
            "Böller werden schon Wochen vor Silvester im Hof gezündet",
            "Autos parken so in der Einfahrt, dass die Feuerwehr nicht durchkäme",
            "Baustelle arbeitet schon um sechs Uhr morgens mit Presslufthammer",
            "aggressiver Bettler verfolgt Leute bis zum Geldautomaten",
        ],
        [
            "loud party in the back yard every Saturday until 5 am",
            "parents park on the pavement outside the school every morning",
            "a group of men drink at Elisenbrunnen every evening and harass women",
            "someone lit a campfire in the park although it's not allowed",
            "car posers rev their engines around the block at night",
            "drunk students shouting through Pontstraße at 3 am",
        ],
    ),
    "graffiti_vandalism": (
        [
            "über Nacht hat jemand die ganze Hauswand der Grundschule mit Parolen besprüht",
            "die Sitzbank am Hangeweiher wurde absichtlich zertrümmert",
            "Vandalen haben die Infotafel im Stadtgarten eingeschlagen",
            "jemand hat die Statue am Brunnen mit roter Farbe übergossen",
            "frisch gestrichene Mauer am Friedhof schon wieder mit Tags vollgeschmiert",
            "die Fahrradbügel wurden mutwillig aus dem Boden gerissen",
            "Rassistische Sprüche an die Wand am Spielplatz gesprüht",
            "jemand hat die Scheibe vom Stromkasten eingetreten und alles bekritzelt",
            "an der Brücke über die Wurm steht alles voll mit Schmierereien",
            "die Blumenkübel am Rathaus wurden umgetreten und kaputt geschlagen",
            "Trinkbrunnen im Park absichtlich beschädigt, Hahn abgebrochen",
            "die Holzbrücke im Wald hat jemand angesägt",
            "Schriftzüge mit Edding an allen Türen vom Jugendheim",
            "Jugendliche haben das Schild an der Schule verbogen und besprüht",
            "do hant se widder allet vollgeschmeert, de janze Muur",
            "Wand am Tunnel Rothe Erde mit Graffiti zugesprüht",
            "Stadtmöbel am Theaterplatz demoliert",
            "Kunstwerk im Kennedypark beschmiert und beschädigt",
        ],
        [
            "the bench at Hangeweiher was deliberately smashed",
            "vandals broke the information board in the Stadtgarten",
            "someone poured red paint over the statue at the fountain",
            "bike racks were ripped out of the ground on purpose",
        ],
    ),
    "street_cleaning": (
        [
            "der Papierkorb an der Haltestelle quillt seit Tagen über",
            "Glasscherben auf dem Radweg nach dem Wochenende, keiner räumt weg",
            "das nasse Laub auf dem Bürgersteig ist rutschig, wann wird gefegt",
            "rund um den Glascontainer liegen Flaschen und Scherben",
            "nach dem Markt bleibt der ganze Platz voller Abfall liegen",
            "Zigarettenkippen und Pappbecher überall am Bushof",
            "Mülleimer im Park voll, Krähen verteilen alles",
            "Pizzakartons und Dosen vor der Imbissbude, jeden Abend",
            "de Strooß es esu dreckig, doh ligge övverall Kippe",
            "Taubendreck unter der Brücke, der ganze Gehweg ist voll",
            "bitte mal den Rinnstein sauber machen, alles voller Dreck",
            "Erbrochenes und Müll vor der Kneipe am Sonntagmorgen",
            "der Altkleidercontainer ist übervoll, bitte leeren",
            "viel Hundehaufen auf der Wiese wo die Kinder spielen",
            "Straße nach dem Karnevalsumzug noch immer voller Konfetti und Flaschen",
        ],
        [
            "wet leaves on the pavement are slippery, when will it be swept",
            "bottles and shards all around the bottle bank",
            "the square is full of rubbish after the market",
        ],
    ),
}
