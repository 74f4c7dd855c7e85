"""Themes for generated test and benchmark corpora: emerging themes to plant, and decoys that must not alarm.

Each theme names itself with a few key phrases (as headlines do) and has sentences around them. The
patterns identify its documents for the ground truth; no other theme uses their words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeSpec:
    name: str
    titles: tuple[str, ...]  # with {commune}
    sentences: tuple[str, ...]
    patterns: tuple[str, ...]


EMERGING: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "punaises_de_lit",
        (
            "Punaises de lit : un hôtel de {commune} ferme des chambres",
            "{commune} face aux punaises de lit",
            "Les punaises de lit gagnent les logements de {commune}",
        ),
        (
            "Les punaises de lit se cachent dans les matelas et les sommiers.",
            "Une désinsectisation contre les punaises de lit coûte plusieurs centaines d'euros.",
            "Un chien détecteur de punaises de lit a inspecté les chambres.",
            "Les bailleurs signalent des logements infestés par les punaises de lit.",
        ),
        (r"punaises? de lit",),
    ),
    ThemeSpec(
        "cours_oasis",
        (
            "{commune} transforme une cour d'école en cour oasis",
            "Cour oasis : les élèves de {commune} plantent des arbres",
            "Îlots de fraîcheur : la cour oasis de {commune} inaugurée",
        ),
        (
            "La cour oasis remplace le bitume par de la terre et des arbres.",
            "La désimperméabilisation de la cour crée un îlot de fraîcheur.",
            "Les enfants ont dessiné les plans de leur cour oasis.",
            "L'agence de l'eau finance une partie de la cour oasis.",
        ),
        (r"cours? oasis", r"îlots? de fraîcheur", r"désimperméabilis"),
    ),
    ThemeSpec(
        "meubles_de_tourisme",
        (
            "Meublés de tourisme : les riverains de {commune} excédés",
            "{commune} veut encadrer les meublés de tourisme",
            "Les meublés de tourisme se multiplient à {commune}",
        ),
        (
            "Le nombre de meublés de tourisme a doublé en deux ans.",
            "Les riverains dénoncent le bruit des meublés de tourisme.",
            "Un numéro d'enregistrement des meublés de tourisme devient obligatoire.",
            "Les meublés de tourisme réduisent l'offre de logements à l'année.",
        ),
        (r"meublés? de tourisme",),
    ),
    ThemeSpec(
        "velos_cargos",
        (
            "{commune} aide l'achat de vélos-cargos",
            "Le vélo-cargo séduit les familles de {commune}",
            "Des vélos-cargos pour livrer le centre de {commune}",
        ),
        (
            "Le vélo-cargo transporte deux enfants ou trente kilos de courses.",
            "L'aide à l'achat d'un vélo-cargo atteint cinq cents euros.",
            "Des arceaux pour vélos-cargos seront installés devant les écoles.",
            "Les commerçants testent la livraison en vélo-cargo.",
        ),
        (r"vélos?-cargos?",),
    ),
    ThemeSpec(
        "moustique_tigre",
        (
            "Le moustique tigre repéré à {commune}",
            "{commune} lutte contre le moustique tigre",
            "Moustique tigre : les conseils de l'agence régionale de santé à {commune}",
        ),
        (
            "Le moustique tigre pond dans les soucoupes et les eaux stagnantes.",
            "Des pièges à moustique tigre ont été installés dans les jardins.",
            "Le moustique tigre peut transmettre la dengue et le chikungunya.",
            "Les habitants sont invités à signaler le moustique tigre sur le portail dédié.",
        ),
        (r"moustiques? tigres?",),
    ),
    ThemeSpec(
        "tiers_lieux",
        (
            "Un tiers-lieu ouvre ses portes à {commune}",
            "Le tiers-lieu de {commune} attire les télétravailleurs",
            "{commune} soutient son tiers-lieu associatif",
        ),
        (
            "Le tiers-lieu propose un espace de coworking et un atelier partagé.",
            "Le tiers-lieu accueille un repair café chaque samedi.",
            "La région subventionne l'aménagement du tiers-lieu.",
            "Les télétravailleurs louent un bureau au tiers-lieu à la journée.",
        ),
        (r"tiers-lieux?",),
    ),
    ThemeSpec(
        "agrivoltaisme",
        (
            "Agrivoltaïsme : un projet de panneaux au-dessus des vignes de {commune}",
            "{commune} débat de l'agrivoltaïsme",
            "Les agriculteurs de {commune} tentés par l'agrivoltaïsme",
        ),
        (
            "L'agrivoltaïsme associe panneaux solaires et cultures sur la même parcelle.",
            "Les ombrières agrivoltaïques protègent les vignes de la grêle.",
            "La chambre d'agriculture encadre les projets d'agrivoltaïsme.",
            "Des riverains craignent que l'agrivoltaïsme n'abîme le paysage.",
        ),
        (r"agrivolta",),
    ),
    ThemeSpec(
        "epiceries_solidaires",
        (
            "Une épicerie solidaire ouvre à {commune}",
            "L'épicerie solidaire de {commune} débordée",
            "{commune} : l'épicerie solidaire cherche des bénévoles",
        ),
        (
            "L'épicerie solidaire vend des produits à dix pour cent de leur prix.",
            "Les étudiants sont de plus en plus nombreux à l'épicerie solidaire.",
            "Le centre communal d'action sociale oriente les familles vers l'épicerie solidaire.",
            "Les invendus des supermarchés approvisionnent l'épicerie solidaire.",
        ),
        (r"épiceries? solidaires?",),
    ),
    ThemeSpec(
        "compteurs_eau_intelligents",
        (
            "Des compteurs d'eau connectés installés à {commune}",
            "{commune} déploie la télérelève des compteurs d'eau",
            "Compteurs d'eau connectés : les abonnés de {commune} alertés des fuites",
        ),
        (
            "Le compteur d'eau connecté signale les fuites en temps réel.",
            "La télérelève évite le passage du releveur chez l'abonné.",
            "Les compteurs d'eau connectés permettent de suivre sa consommation chaque jour.",
            "Des abonnés s'inquiètent des données collectées par les compteurs d'eau connectés.",
        ),
        (r"compteurs? d'eau connectés?", r"télérelève"),
    ),
    ThemeSpec(
        "ambroisie",
        (
            "Ambroisie : les référents de {commune} mobilisés",
            "L'ambroisie envahit les bords de route à {commune}",
            "{commune} arrache l'ambroisie avant la floraison",
        ),
        (
            "Le pollen d'ambroisie provoque de fortes allergies.",
            "Les référents ambroisie repèrent les plants dans les champs et les chantiers.",
            "L'arrachage de l'ambroisie doit se faire avant la floraison.",
            "Un arrêté préfectoral impose la destruction de l'ambroisie.",
        ),
        (r"ambroisie",),
    ),
    ThemeSpec(
        "budget_participatif",
        (
            "Budget participatif : les habitants de {commune} votent",
            "{commune} lance son budget participatif",
            "Les projets lauréats du budget participatif de {commune}",
        ),
        (
            "Le budget participatif consacre cent mille euros aux projets des habitants.",
            "Les habitants ont déposé des dizaines de projets au budget participatif.",
            "Le vote du budget participatif est ouvert en ligne et en mairie.",
            "Les lauréats du budget participatif seront réalisés l'an prochain.",
        ),
        (r"budgets? participatifs?",),
    ),
    ThemeSpec(
        "habitat_leger",
        (
            "Yourtes et tiny houses : l'habitat léger arrive à {commune}",
            "{commune} encadre l'habitat léger",
            "Habitat léger : une famille de {commune} vit en tiny house",
        ),
        (
            "L'habitat léger regroupe yourtes, roulottes et tiny houses.",
            "Le plan local d'urbanisme doit prévoir des zones pour l'habitat léger.",
            "Une tiny house coûte moins cher qu'un appartement.",
            "Les maires hésitent à autoriser l'habitat léger sur les terrains agricoles.",
        ),
        (r"habitat léger", r"tiny houses?", r"yourtes?"),
    ),
)

DECOYS: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "tempete",
        ("Tempête : arbres arrachés à {commune}", "Après la tempête, {commune} fait le bilan"),
        (
            "Les rafales ont dépassé cent kilomètres heure.",
            "Des milliers de foyers sont privés d'électricité.",
            "Les pompiers ont multiplié les interventions après la tempête.",
        ),
        (r"tempête",),
    ),
    ThemeSpec(
        "incendie_usine",
        ("Incendie dans une usine de {commune}", "L'usine incendiée de {commune} à l'arrêt"),
        (
            "Un panache de fumée noire était visible de loin.",
            "Les salariés de l'usine incendiée sont au chômage partiel.",
            "Soixante pompiers ont combattu l'incendie de l'usine.",
        ),
        (r"incendi",),
    ),
    ThemeSpec(
        "visite_ministre",
        ("Visite de la ministre à {commune}", "La ministre attendue à {commune}"),
        (
            "La ministre a visité le chantier de la maison France Services.",
            "Les élus ont plaidé la cause des communes rurales devant la ministre.",
        ),
        (r"ministre",),
    ),
    ThemeSpec(
        "tour_de_france",
        ("Le Tour de France traverse {commune}", "{commune} prête pour le passage du Tour de France"),
        (
            "Des milliers de spectateurs attendent le peloton.",
            "La caravane publicitaire fait le bonheur des enfants.",
        ),
        (r"tour de france",),
    ),
    ThemeSpec(
        "marche_de_noel",
        ("Le marché de Noël de {commune} ouvre ses chalets", "Illuminations de Noël à {commune}"),
        (
            "Une trentaine de chalets proposent artisanat et produits du terroir.",
            "Les illuminations de Noël brillent jusqu'à l'Épiphanie.",
        ),
        (r"noël",),
    ),
    ThemeSpec(
        "festival_ete",
        ("Le festival des Lumières anime {commune}", "{commune} accueille le festival des Lumières"),
        (
            "Le festival des Lumières propose des spectacles sur les quais.",
            "Les hébergeurs affichent complet pendant le festival des Lumières.",
        ),
        (r"festival des lumières",),
    ),
    ThemeSpec(
        "vendanges",
        ("Début des vendanges à {commune}", "Vendanges : les vignerons de {commune} satisfaits"),
        ("Le raisin est arrivé à maturité.", "Les coopératives recrutent des vendangeurs saisonniers."),
        (r"vendang",),
    ),
    ThemeSpec(
        "rentree_scolaire",
        ("Rentrée scolaire à {commune}", "Rentrée : une classe de plus à {commune}"),
        ("Les effectifs de la rentrée sont en hausse.", "La rentrée s'est déroulée dans le calme."),
        (r"rentrée",),
    ),
    ThemeSpec(
        "elections",
        ("Élections : les candidats de {commune} en campagne", "Le scrutin approche à {commune}"),
        (
            "Les listes candidates ont été déposées en préfecture.",
            "Le débat entre candidats a attiré une salle comble.",
        ),
        (r"candidat", r"scrutin"),
    ),
    ThemeSpec(
        "crue",
        ("Crue de la rivière : {commune} en alerte", "La décrue s'amorce à {commune}"),
        (
            "Le niveau de la rivière a dépassé la cote d'alerte.",
            "Des caves ont été inondées dans le bas de la ville.",
        ),
        (r"crue",),
    ),
    ThemeSpec(
        "grippe",
        (
            "Épidémie de grippe : les urgences de {commune} saturées",
            "Grippe : la vaccination ouverte à {commune}",
        ),
        (
            "L'épidémie de grippe atteint son pic.",
            "Les pharmacies vaccinent contre la grippe sans rendez-vous.",
        ),
        (r"grippe",),
    ),
    ThemeSpec(
        "canicule",
        ("Canicule : {commune} ouvre des salles rafraîchies", "Fortes chaleurs à {commune}"),
        (
            "Les températures dépassent trente-huit degrés.",
            "Le registre des personnes fragiles est activé pendant la canicule.",
        ),
        (r"canicule", r"fortes chaleurs"),
    ),
)
