"""Real fragments of the bundled letters, cleaned by hand, and small Letters built from them.

Paragraphs are copied from index/corpus/000_*.txt (Kamerstuk 19 637, nr. 2675) and
004_*.txt (Voortgang Integrale Migratieagenda) with line-end hyphenation undone and footnote
markers removed; pages are those printed in the source.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.models import Block, Footnote, Letter


@dataclass
class Part:
    kind: str  # "heading" | "paragraph"
    text: str
    page: int = 1


@dataclass
class Note:
    number: str
    text: str
    after: str  # the text the marker follows in the running text
    page: int


BECKER = (
    "In reactie op de motie van het lid Becker c.s. verstrekken wij uw Kamer hierbij een overzicht van de "
    "inzet van het kabinet bij de totstandkoming van migratieovereenkomsten met derde landen, voor zowel het "
    "terugdringen van irreguliere migratie als het terugnemen van uitgeprocedeerde onderdanen."
)
REGEERAKKOORD = (
    "In het regeerakkoord (Bijlage bij Kamerstuk 34 700, nr. 34) is vastgelegd dat, bij voorkeur in Europees "
    "verband, overeenkomsten met betrekking tot migratie kunnen worden gesloten met veilige derde landen, "
    "transitlanden en landen in de regio, over de opvang en terugname van asielzoekers, en dat zowel positieve "
    "als negatieve prikkels kunnen worden aangewend om deze landen tot samenwerking te bewegen."
)
AGENDA = (
    "De brede inzet van het kabinet voor een menswaardig en effectief migratiebeleid is uitgewerkt in de "
    "Integrale Migratieagenda van maart 2018. Hierin worden zes doelstellingen c.q. pijlers onderscheiden: "
    "1) het voorkomen van irreguliere migratie, 2) versterken van opvang en bescherming van vluchtelingen en "
    "ontheemden in de regio, 3) een solidair en solide asielstelsel in de EU en Nederland, 4) minder "
    "illegaliteit en meer terugkeer, 5) bevordering van legale migratieroutes en 6) het stimuleren van "
    "integratie en participatie. Nadrukkelijke inzet is om deze verschillende terreinen niet los van elkaar te "
    "behandelen, maar gecoördineerd in te zetten op actie op alle punten van de migratieroutes, waarbij op "
    "verschillende niveaus met alle relevante actoren wordt samengewerkt. Nederland tracht irreguliere migratie "
    "te voorkomen en terugkeersamenwerking te bevorderen zodat mensen zonder verblijfsrecht, zeker ook de "
    "categorie overlastgevers, ook daadwerkelijk vertrekken. Dat is belangrijk om het draagvlak voor de opvang "
    "van vluchtelingen te behouden."
)
VOORTGANG = (
    "In oktober 2019 is uw Kamer een voortgangsrapportage toegegaan over de tot nu toe behaalde resultaten op "
    "de zes pijlers (Kamerstuk 19 637, nr. 2535). Aan de externe kant ziet het kabinet goede en tastbare "
    "voortgang op bijvoorbeeld de aanpak van grondoorzaken van irreguliere migratie, bestrijding van "
    "mensenhandel en -smokkel en opvang in de regio. Gedwongen terugkeer blijft daarentegen een weerbarstig "
    "dossier. Dat heeft deels binnenlandse oorzaken (uit beeld verdwijnen) en ligt voor een deel aan gebrek "
    "aan samenwerking door enkele landen van herkomst. Aan beiden wordt hard gewerkt. Op landen waar vanuit "
    "migratieoogpunt prioriteit ligt wordt een rijksbrede benadering gehanteerd, waarbij de verschillende "
    "aspecten van de relatie in samenhang worden bezien en gekeken wordt hoe die kunnen bijdragen aan betere "
    "migratiesamenwerking, inclusief terugkeer."
)
INSTRUMENTEN = (
    "Het regeerakkoord noemt in dit kader drie voorbeelden van specifieke instrumenten om "
    "migratiesamenwerking met derde landen te stimuleren: ontwikkelingssamenwerking, visa en landingsrechten."
)
ONTWIKKELING = (
    "Ontwikkelingssamenwerking is een essentieel instrument om een bijdrage te leveren aan de bestrijding van "
    "grondoorzaken van irreguliere migratie, opvang in de regio en bestrijding van mensenhandel- en smokkel. "
    "Juist vanuit het oogpunt van migratiebeheersing zijn duurzame oplossingen belangrijk, met inzet op o.a. "
    "handel en ontwikkelingssamenwerking, gericht op het creëren van perspectief en stabiliteit. Zo komen "
    "bovendien intensievere, brede diplomatieke relaties tot stand, waarin ook lastige zaken als gedwongen "
    "terugkeer bespreekbaar kunnen worden. Ontwikkelingssamenwerking blijft zo bij uitstek een geschikt "
    "instrument aan de preventiekant. Het kabinet ziet ontwikkelingssamenwerking daarnaast als mogelijk "
    "drukmiddel als deel van een breder pakket, waarbij de inzet op overige (migratie) doelstellingen niet "
    "onevenredig wordt geraakt."
)
TURKIJE = (
    "Essentiele focus ligt op Turkije als het belangrijkste transitland naar Europa voor veel van de "
    "asielzoekers in Nederland en daarnaast opvangland voor ruim 3,5 mln. Syriërs. Nederland stond aan de basis "
    "van de EU-Turkije Verklaring en blijft zich actief inzetten voor verbetering van de relatie met Turkije. "
    "Momenteel zijn de gesprekken tussen de Europese Commissie en de Turkse overheid nog gaande. Via de "
    "Faciliteit voor Vluchtelingen in Turkije (FRIT) helpt de EU Turkije bij de opvang van vluchtelingen, als "
    "onderdeel van de EU-Turkije Verklaring. De financiering via de FRIT van in totaal EUR 6 miljard komt ten "
    "goede aan vluchtelingen in Turkije en de gastgemeenschappen. Via de FRIT is onder andere financiële "
    "ondersteuning geboden aan 1.7 miljoen vluchtelingen om in de dagelijkse basisbehoeftes te kunnen voorzien "
    "middels het Emergency Social Safety Net (ESSN). Tevens is toegang voor ruim 685.000 kinderen tot onderwijs "
    "gerealiseerd middels de Conditional Cash Transfer for Education (CCTE). Uit cijfers van de Commissie "
    "blijkt dat via de FRIT ruim 9 mln. gezondheidsconsultaties hebben plaatsgevonden en circa 650.000 "
    "vaccinaties aan kinderen zijn gegeven. De Europese Commissie heeft een voorstel gedaan om additioneel "
    "EUR 485 mln. vrij te maken voor de humanitaire steun aan vluchtelingen in Turkije, mede vanwege de "
    "verslechterde omstandigheden als gevolg van covid-19. Hier is uw Kamer recentelijk over geïnformeerd."
)
TOEZEGGING = (
    "Uw Kamer is toegezegd dat hierover desgewenst een vertrouwelijke technische briefing kan worden gegeven."
)

AANLEIDING = (
    "Op 29 maart 2018 presenteerde het kabinet de Integrale Migratieagenda (IMA), waarin de "
    "beleidsvoornemens op migratie uit het regeerakkoord aan elkaar verbonden zijn in een agenda met zes "
    "pijlers. De Tweede Kamer is bij brief van 14 oktober 2019 geïnformeerd over de voortgang die op dat "
    "moment per pijler bereikt was. In deze brief informeer ik u over de voortgang die sindsdien is gemaakt, "
    "mede namens de minister van Buitenlandse Zaken, de minister voor Buitenlandse Handel en "
    "Ontwikkelingssamenwerking, de minister van Sociale Zaken en Werkgelegenheid en de minister van "
    "Binnenlandse Zaken en Koninkrijksrelaties. Hiermee komt het kabinet tegemoet aan de bij de Tweede Kamer "
    "ingediende motie Groothuizen c.s. waarin het kabinet wordt verzocht om jaarlijks een rapportage op te "
    "stellen."
)
OVERKOEPELEND = (
    "Alvorens de inzet op de pijlers te beschrijven, wordt ingegaan op de nieuwe voorstellen op het gebied van "
    "asiel en migratie die 23 september jl. door de Europese Commissie zijn gepresenteerd, omdat zij op "
    "meerdere pijlers betrekking hebben. Het doel van de Europese Commissie met deze voorstellen is om te komen "
    "tot een versterkt, effectief en humaan Europees asiel- en migratiesysteem, waarmee meer grip moet ontstaan "
    "op irreguliere migratie naar en binnen de EU."
)
KHARTOEM = (
    "Daarnaast is Nederland voorzitter van het Khartoem Proces, een dialoog tussen landen in de Hoorn van "
    "Afrika en Europese landen over migratiegeoriënteerde onderwerpen zoals uiteengezet in het Joint Valetta "
    "Action Plan. Dit voorzitterschap ging begin maart 2020 van start met de jaarlijkse vergadering op "
    "hoog-ambtelijk niveau in Den Haag. In verband met de COVID-19 restricties zijn de geplande thematische "
    "bijeenkomsten over o.a. terugkeer, grensbeheer en mensensmokkel daarna helaas uitgesteld. Wel zijn er "
    "virtuele bijeenkomsten voor alle leden georganiseerd over de gevolgen en impact van COVID-19 voor migratie "
    "in de Hoorn van Afrika."
)
FRIT = (
    "Het kabinet is van oordeel dat de Faciliteit voor vluchtelingen in Turkije (FRIT), opgezet in het kader "
    "van de EU-Turkije Verklaring, sinds haar inwerkingtreding een waardevolle bijdrage heeft geleverd aan de "
    "ondersteuning van vluchtelingen en hun gastgemeenschappen in Turkije. Zo wordt vanuit de FRIT door middel "
    "van het Emergency Social Safety Net (ESSN) maandelijks financiële ondersteuning geboden aan 1.7 miljoen "
    "vluchtelingen om in de dagelijkse behoeftes te voorzien."
)
DONNER = (
    "Tot slot is in 2020 het onderzoek naar het VN-Vluchtelingenverdrag afgerond. De verkenning, van mr. "
    "J.P.H. Donner en mr. dr. M. den Heijer, richtte zich op de vraag of het VN-Vluchtelingenverdrag uit 1951 "
    "nog bij de tijd is. Bij brief van 3 juli 2020 is de Tweede Kamer geïnformeerd over de uitkomsten van de "
    "verkenning en de kabinetsreactie."
)

LETTER_000 = [
    Part("paragraph", BECKER),
    Part("paragraph", REGEERAKKOORD),
    Part("paragraph", AGENDA),
    Part("paragraph", VOORTGANG),
    Part("heading", "Instrumenten"),
    Part("paragraph", INSTRUMENTEN),
    Part("paragraph", ONTWIKKELING),
    Part("paragraph", TOEZEGGING),
    Part("heading", "De Oostelijke route"),
    Part("paragraph", TURKIJE, page=5),
]
NOTES_000 = [
    Note("5", "https://ec.europa.eu/home-affairs/sites/homeaffairs/files/what-we-do/policies/european-agenda-"
         "migration/20200318_managing-migration-eu-turkey-statement-4-years-on_en.pdf", "zijn gegeven", 5),
    Note("6", "Kamerstuk 21 501-03, nr. 142", "recentelijk over geïnformeerd", 5),
]

LETTER_004 = [
    Part("heading", "Aanleiding", 1),
    Part("paragraph", AANLEIDING, 1),
    Part("heading", "Overkoepelend: de nieuwe voorstellen van de Europese Commissie", 1),
    Part("paragraph", OVERKOEPELEND, 1),
    Part("paragraph", KHARTOEM, 3),
    Part("heading", "2. Versterken opvang en bescherming voor vluchtelingen en ontheemden in de regio", 3),
    Part("paragraph", FRIT, 3),
    Part("paragraph", DONNER, 5),
]
NOTES_004 = [
    Note("1", "Kamerstukken II 2018/19, 35000 VI, nr. 59, gewijzigd onder nr. 78.", "motie Groothuizen c.s.", 1),
    Note("3", "Kamerstukken II 2019/20, 28638, nr. 176.", "helaas uitgesteld.", 3),
    Note("7", "Kamerstukken II 2019/20, 19637, nr. 2645.", "en de kabinetsreactie.", 5),
]


def build_letter(letter_id: str, parts: list[Part], notes: list[Note] = ()) -> Letter:
    """A Letter as the cleaner makes it: parts joined by blank lines, with blocks, pages, footnotes."""
    text, blocks, pages = "", [], []
    for part in parts:
        if text:
            text += "\n\n"
        if not pages or pages[-1][1] != part.page:
            pages.append((len(text), part.page))
        blocks.append(Block(part.kind, len(text), len(text) + len(part.text)))
        text += part.text
    footnotes = [Footnote(n.number, n.text, text.index(n.after) + len(n.after), n.page) for n in notes]
    return Letter(id=letter_id, source=f"{letter_id}.txt", text=text, blocks=blocks, pages=pages, footnotes=footnotes)


def letter_000() -> Letter:
    return build_letter("000_6f008f4da8a68f2b", LETTER_000, NOTES_000)


def letter_004() -> Letter:
    return build_letter("004_e0a75123764b20dc", LETTER_004, NOTES_004)
