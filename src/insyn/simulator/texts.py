"""Swedish material for the scenario generator: names, places, and what people write.

Everything here is invented. Personnummer are generated with a valid check digit
but a day-of-month that no one is born on is not guaranteed; phone numbers use
the 070-17 40 6xx series Post- och telestyrelsen sets aside for fiction. Placeholders
in {braces} are filled in by scenario.TextFactory.
"""

from __future__ import annotations

FIRST_NAMES = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Eva",
    "Anders",
    "Lena",
    "Per",
    "Kerstin",
    "Mikael",
    "Åsa",
    "Örjan",
    "Ulla-Britt",
    "Björn",
    "Sofia",
    "Mohammed",
    "Fatima",
    "Ahmed",
    "Amina",
    "Mirela",
    "Dragan",
    "Linnea",
    "Elias",
    "Saga",
    "Noah",
    "Ebba",
    "Hugo",
    "Maja",
    "Oskar",
    "Gunnel",
    "Bengt",
    "Siv",
    "Tomas",
    "Yusuf",
    "Leila",
    "Nguyen",
    "Aleksander",
    "Ingrid",
    "Rolf",
    "Pia",
    "Jonas",
    "Malin",
    "Stina",
    "Göran",
    "Birgitta",
]

LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Öberg",
    "Åström",
    "Lindqvist",
    "Berglund",
    "Sjöberg",
    "Hassan",
    "Ali",
    "Kovač",
    "Petrović",
    "Nyström",
    "Holm",
    "Forsberg",
    "Sandström",
    "Lundgren",
    "Wikström",
    "Hedlund",
    "Mäkinen",
    "Nguyen",
    "Abdi",
    "Engström",
    "Dahl",
    "Söderberg",
    "Östlund",
]

REMOTE_DOMAINS = [
    "mastodon.nu",
    "social.sunet.se",
    "mastodon.social",
    "fikaverse.club",
    "toot.community",
]

STREETS = [
    "Storgatan",
    "Järnvägsgatan",
    "Skolgatan",
    "Kyrkvägen",
    "Sjövägen",
    "Industrivägen",
    "Granvägen",
    "Björkvägen",
    "Tallbacken",
    "Norra Vägen",
    "Älvgatan",
    "Stationsgatan",
]
AREAS = [
    "centrum",
    "Norrbacka",
    "Sjöstrand",
    "Östby",
    "Kvarnbyn",
    "Hällefors udde",
    "Tallmon",
    "Västanå",
]
SCHOOLS = [
    "Centrumskolan",
    "Kvarnbyskolan",
    "Sjöstrandsskolan",
    "Östbyskolan",
    "Björkhagens förskola",
]
PLACES = [
    "simhallen",
    "biblioteket",
    "återvinningscentralen",
    "ishallen",
    "badplatsen vid Sjöstrand",
    "kommunhuset",
    "vårdcentralen",
    "busstationen",
    "Folkets park",
    "idrottsplatsen",
]
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]

# The municipality's own posts, by topic.
KOMMUN_POSTS = {
    "snöröjning": [
        "Snöröjningen pågår för fullt i hela kommunen. Vi prioriterar huvudgator, busslinjer och gång- och cykelvägar till skolor. Villagator plogas därefter. Tack för ert tålamod!",
        "Med anledning av snöfallet i natt plogar vi nu {gata} och {omrade}. Flytta gärna bilen från gatan så att plogbilen kommer fram. ❄️",
        "Sandning av gång- och cykelvägar sker under förmiddagen. Var försiktiga, det är mycket halt i {omrade}!",
    ],
    "vattenavstängning": [
        "VATTENAVSTÄNGNING: På grund av en vattenläcka stänger vi av vattnet på {gata} {veckodag} kl {tid}. Beräknad åtgärdstid ca 4 timmar. En vattentank ställs ut vid korsningen.",
        "Kokningsrekommendation upphävd för {omrade}. Vattnet kan nu drickas som vanligt. Tack för att ni hade överseende!",
        "Planerat underhållsarbete på vattenledningsnätet i {omrade} {veckodag}. Vattnet kan vara missfärgat en stund efteråt – spola tills det blir klart.",
    ],
    "evenemang": [
        "Välkommen på nationaldagsfirande i Folkets park den 6 juni! Musik, tal och fika. Fri entré. 🇸🇪",
        "Nu på {veckodag} är det höstmarknad på torget kl 10–15. Lokala hantverkare, lotterier och korv. Välkomna!",
        "Valborgsfirande vid idrottsplatsen: brasan tänds kl 20, vårtal av kommunstyrelsens ordförande och sång av manskören.",
        "Sommarlovsaktiviteter för barn och unga! Anmälan öppnar {veckodag} via kommunens webbplats. Alla aktiviteter är kostnadsfria.",
    ],
    "budget": [
        "Kommunfullmäktige sammanträder ikväll kl 18.00 i kommunhuset. På dagordningen: budget för nästa år och investeringar i skola och omsorg. Mötet sänds på webben.",
        "Nu finns förslaget till budget och verksamhetsplan publicerat. Läs gärna och lämna synpunkter senast den 30:e.",
        "Kommunen redovisar ett underskott på {belopp} miljoner kronor i delårsrapporten. Åtgärder för att få budget i balans presenteras i nästa kommunstyrelse.",
    ],
    "skolval": [
        "Dags för skolval inför hösten! Vårdnadshavare till barn som börjar förskoleklass ska göra sitt val senast den 15 februari i e-tjänsten.",
        "Information om skolskjuts inför läsåret: ansökan görs i e-tjänsten. Frågor? Kontakta skolskjutssamordnaren via kontaktcenter.",
        "{skola} har öppet hus {veckodag} kl 17–19. Välkomna att träffa personal och se lokalerna!",
    ],
    "sophämtning": [
        "Hämtningen av hushållsavfall blir en dag försenad i veckan på grund av helgen. Ställ ut kärlet som vanligt.",
        "Från och med nästa månad inför vi matavfallsinsamling i {omrade}. Påsar och påshållare delas ut under veckan.",
    ],
    "vägarbete": [
        "Vägarbete på {gata} från {veckodag} och ca tre veckor framåt. Trafiken leds om via {gata2}. Vi ber om överseende!",
        "Nu asfalterar vi om {gata} och delar av {omrade}. Det kan bli tillfälliga avstängningar dagtid.",
    ],
    "simhall": [
        "Simhallen håller stängt {veckodag} på grund av ett tekniskt fel i reningsverket. Vi återkommer när vi vet mer.",
        "Nya öppettider i simhallen från 1 september. Se hela schemat på webbplatsen. Varmt välkomna! 🏊",
    ],
    "krisberedskap": [
        "Eldningsförbud gäller från och med idag i hela kommunen på grund av hög brandrisk. Grillning är endast tillåten på iordningställda platser.",
        "Viktigt meddelande till allmänheten: strömavbrott i delar av {omrade}. Elbolaget arbetar på att åtgärda felet.",
    ],
    "äldreomsorg": [
        "Nu söker vi sommarvikarier till hemtjänsten och våra särskilda boenden! Sök senast den 31 mars. ❤️",
        "Träffpunkten för seniorer i {omrade} har öppet hus {veckodag} med kaffe och underhållning.",
    ],
}

QUESTIONS = [
    "Hej! Vet ni när {gata} ska plogas? Vi har inte sett någon plogbil på tre dagar.",
    "Gäller avstängningen även {gata2}?",
    "Hur gör man för att ansöka? Hittar inte e-tjänsten på hemsidan",
    "När öppnar simhallen igen?",
    "Vem ska man kontakta om skolskjutsen inte kommer? Min son stod och väntade i 40 minuter i morse",
    "Kan man lämna in farligt avfall på återvinningscentralen på {veckodag}?",
    "Varför får man inte svar när man ringer kontaktcenter??",
    "Är det öppet på biblioteket under sportlovet?",
    "Vad kostar det egentligen att ha barn på fritids nu efter höjningen?",
    "Hur långt är det kvar på vägarbetet, det har ju hållit på i evigheter",
    "Får man elda i trädgården nu eller gäller förbudet fortfarande?",
    "Finns det plats kvar på sommarlovsaktiviteterna?",
]

FELANMALAN = [
    "Gatlampan utanför {gata} {nr} har varit trasig i över en vecka. Det är kolsvart när barnen går till skolan.",
    "Stort potthål på {gata} vid korsningen mot {gata2}. Höll på att förstöra fälgen.",
    "Det läcker vatten ur en brunn på {gata}, det har bildats en is-skorpa över hela trottoaren",
    "Nedfallet träd över gångvägen i {omrade} efter stormen i natt",
    "Klotter på väggen vid {plats} igen. Någon som kan sanera?",
    "Papperskorgarna vid badplatsen är överfulla och måsarna sprider skräp överallt",
    "Gungan på lekplatsen i {omrade} är trasig, kedjan har gått av. Farligt för barnen!",
]

COMPLAINTS = [
    "Helt oacceptabelt. Vi betalar bland den högsta kommunalskatten i länet och får ingenting tillbaka.",
    "Snöröjningen i {omrade} är en skandal. Varje år samma sak.",
    "Varför ska alla pengar gå till centrum när vi i {omrade} inte ens har en fungerande busslinje?",
    "Ni stänger skolor på landsbygden men har råd med nya kontor i kommunhuset. Skäms!",
    "Tredje gången jag klagar på samma sak och ingen har svarat. Vad håller ni på med?",
    "Politikerna borde gå en vinter här ute så skulle de förstå",
    "Hemtjänsten kom inte alls igår till min pappa. Ingen ringde. Är det så här vi tar hand om våra äldre?",
]

PRAISE = [
    "Stort tack till plogbilsföraren som tog extra vända på vår gata i morse! 🙏",
    "Så bra med öppet hus, vi var där med barnen och blev superbra bemötta ❤️",
    "Tack för snabb hjälp med gatlampan, fixat redan dagen efter!",
    "Fantastiskt fint firande igår, tack alla som ordnade! 🇸🇪",
    "Personalen på {skola} är guld värda, säger det bara",
    "Äntligen! Har väntat på det här i flera år 👏👏",
]

# Replies in a thread where residents argue with each other.
ARGUMENTS = [
    "Du har ju helt fel, det var ni i {omrade} som röstade emot det",
    "Sluta gnäll. Det har snöat i 20 cm på en natt, de kan inte vara överallt samtidigt.",
    "Lätt för dig att säga som bor i centrum",
    "Källa på det?",
    "Nej men alltså. Läs vad kommunen skrev innan du svarar",
    "Håller med föregående talare 100%",
    "Det är därför ingen orkar engagera sig, så fort man säger något blir det pajkastning",
    "Och vem ska betala för det då? Du?",
]

OFFTOPIC = [
    "Någon som vet om Konsum har öppet på långfredagen?",
    "Borttappad katt i {omrade}! Grå med vit tass, heter Misse. Ring om ni sett honom 🐱",
    "Säljer barnvagn, knappt använd, skriv PM",
]

SPAM = [
    "Tjäna 5000 kr om dagen hemifrån!!! Klicka här 👉 http://snabba-pengar.example/sv",
    "GRATIS iPhone 15 till de första 100 som delar detta inlägg 🎁🎁 http://gratis-vinst.example",
    "Investera i krypto med garanterad avkastning 300%. Kontakta mig på WhatsApp +44 7700 900123",
    "Hot singles i {kommun}!! ❤️ http://dejt.example",
]

# Unlawful or plainly sensitive comments the triage must catch (threats, hets).
THREATS = [
    "Ni ska få se vad som händer om ni lägger ner skolan. Jag vet var kommunalrådet bor.",
    "Nästa gång jag ser den där handläggaren på stan så smäller det",
    "Någon borde bränna ner hela kommunhuset med er därinne",
    "Ni kommer ångra er. Jag kommer till socialkontoret imorgon och då jävlar",
]

HETS = [
    "Det är invandrarna som förstör allt här, släng ut dem allihop",
    "Den där folkgruppen är inte människor, de borde inte få bo i vår kommun",
    "Typiskt att ni ger bidrag till dem, de är parasiter allihop",
]

KOMMUN_REPLIES = [
    "Hej {fornamn}! Tack för att du hör av dig. Vi har skickat vidare ditt ärende till gatuenheten. Vänliga hälsningar, kommunikationsavdelningen",
    "Hej! Tack för din synpunkt. Du kan också göra en felanmälan direkt via vår e-tjänst så får du ett ärendenummer.",
    "Hej {fornamn}, vi förstår din frustration. Vi har kontaktat ansvarig enhet och återkommer så snart vi vet mer.",
    "Tack för ditt tips! Vi har lagt in en felanmälan.",
    "Hej! Vi kan tyvärr inte svara på frågor om enskilda ärenden här. Skicka gärna ett privat meddelande eller ring kontaktcenter.",
    "Hej! Avstängningen gäller bara {gata}. /Kommunikationsavdelningen",
]

KOMMUN_DM_REPLIES = [
    "Hej {fornamn}! Tack för ditt meddelande. Vi har tagit emot det och skickat det vidare till rätt enhet.",
    "Hej! Av sekretesskäl kan vi inte hantera personliga uppgifter här. Ring oss på kontaktcenter så hjälper vi dig.",
    "Tack! Ditt ärende har registrerats. Du får svar från handläggaren inom några dagar.",
]

# Direct messages, many with personal data (personnummer, phone, health).
DIRECT_MESSAGES = [
    "Hej, jag har sökt bygglov för en carport på {gata} {nr} men inte hört något på två månader. Mitt personnummer är {pnr}.",
    "Hej! Min mamma har demens och hemtjänsten har missat två besök den här veckan. Hon heter {namn} och bor på {gata}. Ring mig på {tel}.",
    "Jag behöver hjälp med ekonomiskt bistånd, jag har blivit sjukskriven för utmattningssyndrom och har inte råd med hyran. {pnr}",
    "Hej, min son {barn} går i årskurs 3 på {skola} och blir mobbad varje dag. Ingen på skolan gör något. Snälla hjälp oss.",
    "Kan ni ringa mig? {tel}. Det gäller min ansökan om färdtjänst, jag har MS och kan inte ta bussen längre.",
    "Hej jag undrar om jag kan få förlängd tid på att betala fakturan för barnomsorgen. Mejla mig på {epost}",
    "Jag vill anmäla att grannen på {gata} {nr} misshandlar sin hund. Jag vågar inte skriva namn här.",
    "Hej! Skickar in min synpunkt på detaljplanen för {omrade}. Se bifogad fil.",
    "Varför har ni inte svarat på min förra fråga??",
    "Tack för hjälpen igår!",
]

DM_FOLLOWUPS = [
    "Hallå? Någon där?",
    "Glömde säga att det är bråttom",
    "Ok tack, jag ringer imorgon",
    "Mitt telefonnummer är {tel} om ni behöver nå mig",
    "Det gäller fortfarande, inget har hänt",
]

EDIT_SUFFIXES = [
    "\n\nEDIT: stavfel",
    "\n\nEdit: löst nu, tack!",
    " (uppdatering: det har hänt igen idag)",
    "\n\nEDIT: ber om ursäkt för tonen, var arg igår",
    " Ring mig på {tel}",
]

SOFTENED = [
    "Jag är väldigt besviken på beslutet och hoppas ni tänker om.",
    "Förlåt, det där var dumt skrivet. Men jag är verkligen orolig.",
]

EMOJIS = ["😡", "👍", "🙏", "❤️", "😂", "🤔", "😢", "🙄", "👏", "💪", "🤬", "😊", "‼️"]

# Everyday spelling and dialect (norrländska, göteborgska, stockholmska, chat Swedish).
DIALECT = [
    ("inte", "int"),
    ("inte", "inge"),
    ("det", "de"),
    ("det", "dä"),
    ("och", "o"),
    ("mig", "mej"),
    ("dig", "dej"),
    ("något", "nåt"),
    ("vad", "va"),
    ("jag", "ja"),
    ("de", "dom"),
    ("sig", "sej"),
    ("väldigt", "sjukt"),
    ("mycket", "mkt"),
    ("kanske", "kanske typ"),
    ("också", "oxå"),
]

# Payloads that test the archive's escaping, in about one text in twenty.
INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(document.cookie)>',
    '<a href="javascript:alert(1)">klicka här</a>',
    '<iframe src="http://evil.example"></iframe>',
    "{{7*7}} ${7*7}",
    "'; DROP TABLE items; --",
    '=HYPERLINK("http://evil.example","Klicka")',
    "+46701740600",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
