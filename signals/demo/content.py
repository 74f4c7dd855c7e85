"""Text banks of the demo territory: recurring local news, seasonal and one-off events, planted weak signals.

Templates take fillers from ``FILLERS`` (``{commune}``, ``{ecole}``, ``{rue}``...). The planted themes use
vocabulary that the other themes never use, so that their documents can be identified by the patterns of
the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    key: str
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    weight: float = 1.0  # share among the recurring themes
    months: tuple[int, ...] = ()  # seasonal themes: months when they appear
    proposals: tuple[str, ...] = ()  # consultation proposals (titles) on this theme
    deliberations: tuple[str, ...] = ()  # deliberation subjects on this theme


FILLERS: dict[str, tuple[str, ...]] = {
    "ecole": (
        "école Jean-Moulin",
        "école des Tilleuls",
        "école Pasteur",
        "école Jules-Ferry",
        "école du Moulin",
        "école Simone-Veil",
        "école des Vignes",
    ),
    "college": ("collège Marie-Curie", "collège Albert-Camus", "collège du Val"),
    "rue": (
        "rue de la République",
        "avenue des Platanes",
        "chemin du Moulin",
        "rue Victor-Hugo",
        "boulevard de la Lirette",
        "place du Marché",
        "route de Montclar",
        "rue des Écoles",
    ),
    "lieu": (
        "la médiathèque",
        "la salle des fêtes",
        "le gymnase municipal",
        "la maison des associations",
        "l'espace culturel",
        "la halle du marché",
    ),
    "club": (
        "l'US Lirac",
        "le FC Val de Lirette",
        "l'AS Saint-Aubin",
        "le Rugby Club des Vignes",
        "le Handball Club Fontclaire",
        "le Tennis Club de Beauvallon",
    ),
    "ligne": ("1", "2", "4", "7", "12", "15"),
    "montant": ("120 000", "250 000", "48 000", "1,2 million", "600 000", "75 000", "2,4 millions"),
    "nombre": ("12", "25", "40", "60", "150", "300", "8"),
    "elu": (
        "le maire",
        "l'adjointe à l'éducation",
        "l'adjoint aux travaux",
        "la présidente de l'agglomération",
        "l'adjoint à l'urbanisme",
        "la conseillère déléguée à la jeunesse",
    ),
    "mois": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "septembre",
        "octobre",
        "novembre",
    ),
}

# Sentences that any local article may carry.
GENERIC: tuple[str, ...] = (
    "La municipalité précise que les riverains seront tenus informés de l'avancement du dossier.",
    "Une réunion publique est prévue à {lieu} dans les prochaines semaines.",
    "Le sujet sera de nouveau abordé lors du prochain conseil municipal.",
    "Les habitants peuvent se renseigner auprès de l'accueil de la mairie aux horaires habituels.",
    "L'opération s'inscrit dans le programme pluriannuel d'investissement de l'agglomération.",
    "Selon {elu}, le calendrier devrait être tenu malgré les contraintes budgétaires.",
    "Plusieurs associations locales ont été associées à la démarche.",
    "Le coût de l'opération est estimé à {montant} euros.",
    "Les services techniques de {commune} ont été mobilisés pour l'occasion.",
    "Un bilan sera présenté en fin d'année aux élus communautaires.",
)

RECURRING: tuple[Theme, ...] = (
    Theme(
        "voirie",
        (
            "Travaux de réfection de la chaussée {rue} à {commune}",
            "{commune} : la circulation perturbée par un chantier {rue}",
            "Voirie : {commune} lance la rénovation de ses trottoirs",
            "Le chantier du giratoire de {commune} prend du retard",
        ),
        (
            "Les travaux de voirie dureront environ {nombre} jours et imposeront une circulation alternée.",
            "Une déviation est mise en place pour les poids lourds pendant toute la durée du chantier.",
            "Le revêtement de la chaussée, très dégradé, sera entièrement refait.",
            "Les places de stationnement {rue} seront neutralisées pendant les travaux.",
            "L'enfouissement des réseaux électriques est prévu dans la même opération.",
        ),
        weight=1.6,
        proposals=(
            "Sécuriser le carrefour {rue}",
            "Refaire les trottoirs {rue}",
            "Un passage piéton devant l'{ecole}",
        ),
        deliberations=(
            "Attribution du marché de travaux de voirie {rue}",
            "Programme annuel d'entretien de la voirie communale",
        ),
    ),
    Theme(
        "budget",
        (
            "{commune} : le budget primitif adopté en conseil municipal",
            "Finances locales : {commune} maintient ses taux d'imposition",
            "Le débat d'orientation budgétaire anime le conseil de {commune}",
            "Agglomération : un budget de {montant} euros pour les équipements",
        ),
        (
            "Le budget de fonctionnement reste maîtrisé malgré la hausse des coûts de l'énergie.",
            "L'opposition a voté contre, jugeant l'endettement trop élevé.",
            "Les taux de la taxe foncière restent inchangés cette année.",
            "La capacité d'autofinancement de la commune s'améliore légèrement.",
            "Les dotations de l'État sont en baisse pour la troisième année consécutive.",
        ),
        weight=1.0,
        deliberations=(
            "Vote du budget primitif",
            "Décision modificative n° 1 du budget principal",
            "Fixation des taux d'imposition des taxes locales",
            "Compte administratif de l'exercice",
        ),
    ),
    Theme(
        "transport",
        (
            "Bus : la ligne {ligne} du réseau Lirette Mobilités change d'horaires",
            "{commune} réclame une meilleure desserte en bus",
            "Transport scolaire : de nouveaux arrêts à {commune}",
            "Le réseau de bus de l'agglomération renouvelle sa flotte",
        ),
        (
            "La fréquence de passage de la ligne {ligne} passera à un bus toutes les vingt minutes.",
            "Les usagers se plaignent de retards répétés aux heures de pointe.",
            "Le titre de transport mensuel reste au même tarif pour les moins de 26 ans.",
            "Une navette à la demande desservira les hameaux les plus éloignés.",
        ),
        weight=1.0,
        proposals=("Un abribus {rue}", "Prolonger la ligne {ligne} jusqu'à {commune}"),
        deliberations=("Convention de financement du transport scolaire",),
    ),
    Theme(
        "culture",
        (
            "{lieu} de {commune} accueille une exposition de peinture",
            "Concert de l'harmonie municipale à {commune}",
            "{commune} : la saison culturelle dévoile sa programmation",
            "Théâtre : une troupe amateur triomphe à {commune}",
        ),
        (
            "L'entrée est libre et gratuite dans la limite des places disponibles.",
            "Plus de {nombre} spectateurs ont assisté à la représentation.",
            "Les artistes exposés sont pour la plupart originaires du territoire.",
            "La programmation fait la part belle aux compagnies régionales.",
        ),
        weight=1.2,
        proposals=("Des concerts gratuits au kiosque de {commune}",),
        deliberations=("Subvention à l'association culturelle de {commune}",),
    ),
    Theme(
        "sport",
        (
            "Football : {club} s'impose à domicile",
            "{club} fête ses cinquante ans",
            "Le gymnase de {commune} rénové pour la saison",
            "Course à pied : record de participation à {commune}",
        ),
        (
            "Le club compte désormais plus de {nombre} licenciés, dont de nombreux jeunes.",
            "Les bénévoles ont été chaleureusement remerciés par le président du club.",
            "La rencontre s'est jouée devant une tribune comble.",
            "La municipalité a financé le remplacement du revêtement du terrain.",
        ),
        weight=1.3,
        deliberations=("Subvention exceptionnelle à {club}",),
    ),
    Theme(
        "economie",
        (
            "Une entreprise de logistique s'installe dans la zone d'activités de {commune}",
            "{commune} : le centre-ville veut retrouver ses commerces",
            "Emploi : {nombre} postes à pourvoir dans l'agroalimentaire",
            "La boulangerie {rue} change de propriétaires",
        ),
        (
            "La zone d'activités accueille déjà une vingtaine d'entreprises.",
            "Le manager de centre-ville accompagne les porteurs de projet.",
            "La chambre de commerce salue une dynamique encourageante.",
            "Plusieurs vitrines restent vides dans la rue commerçante.",
        ),
        weight=1.1,
        deliberations=("Cession d'un terrain dans la zone d'activités", "Aide à l'immobilier d'entreprise"),
    ),
    Theme(
        "dechets",
        (
            "Collecte des déchets : de nouveaux horaires à {commune}",
            "Tri sélectif : l'agglomération distribue des composteurs",
            "La déchetterie de {commune} agrandie",
            "Dépôts sauvages : {commune} installe des caméras",
        ),
        (
            "Les bacs jaunes seront collectés tous les quinze jours.",
            "Le compostage individuel permet de réduire d'un tiers les ordures ménagères.",
            "La redevance incitative est à l'étude pour les prochaines années.",
            "Les dépôts sauvages coûtent chaque année plusieurs milliers d'euros à la collectivité.",
        ),
        weight=1.0,
        proposals=("Plus de poubelles {rue}", "Un composteur partagé dans le quartier"),
        deliberations=("Rapport annuel sur le service public de prévention et de gestion des déchets",),
    ),
    Theme(
        "sante",
        (
            "{commune} : un nouveau médecin généraliste s'installe",
            "Le centre de santé de {commune} recrute",
            "Don du sang : une collecte à {lieu} de {commune}",
            "Les pharmacies de garde du week-end",
        ),
        (
            "Le territoire manque de médecins généralistes, comme une grande partie du département.",
            "La maison de santé pluriprofessionnelle réunit une dizaine de praticiens.",
            "L'Établissement français du sang rappelle que les réserves sont basses.",
            "La commune a mis un logement à disposition pour attirer de jeunes praticiens.",
        ),
        weight=0.9,
        deliberations=("Convention avec la maison de santé pluriprofessionnelle",),
    ),
    Theme(
        "education",
        (
            "Cantine scolaire : plus de produits locaux à {commune}",
            "L'{ecole} de {commune} inaugure sa nouvelle bibliothèque",
            "Périscolaire : {commune} revoit ses tarifs",
            "Conseil municipal des jeunes : les élèves de {commune} élus",
        ),
        (
            "La restauration scolaire sert chaque jour près de {nombre} repas.",
            "Les tarifs du périscolaire sont calculés selon le quotient familial.",
            "Les enseignants saluent l'investissement de la commune dans le numérique.",
            "Les parents d'élèves ont été consultés sur les nouveaux horaires.",
        ),
        weight=1.1,
        proposals=("Des repas bio à la cantine de l'{ecole}",),
        deliberations=("Tarifs de la restauration scolaire et du périscolaire",),
    ),
    Theme(
        "securite",
        (
            "Accident sur la départementale près de {commune}",
            "{commune} : la gendarmerie appelle à la vigilance contre les cambriolages",
            "Vidéoprotection : {commune} équipe son centre-ville",
            "Un automobiliste contrôlé à grande vitesse près de {commune}",
        ),
        (
            "Les secours sont intervenus rapidement sur les lieux.",
            "La gendarmerie rappelle les conseils de prudence en période de vacances.",
            "Le dispositif de participation citoyenne compte de nouveaux référents.",
            "Aucun blessé grave n'est à déplorer.",
        ),
        weight=1.0,
        deliberations=("Convention de coordination entre la police municipale et la gendarmerie",),
    ),
    Theme(
        "logement",
        (
            "{commune} : {nombre} logements sociaux livrés",
            "Rénovation énergétique : des aides pour les propriétaires de {commune}",
            "Le programme local de l'habitat en révision",
            "Un écoquartier en projet à {commune}",
        ),
        (
            "Les logements sont attribués en priorité aux jeunes ménages et aux seniors.",
            "La rénovation des passoires thermiques reste une priorité du programme.",
            "Le permis de construire a été accordé après plusieurs mois d'instruction.",
            "Les bailleurs sociaux peinent à répondre à la demande.",
        ),
        weight=1.0,
        proposals=("Plus de logements pour les jeunes à {commune}",),
        deliberations=(
            "Garantie d'emprunt accordée à un bailleur social",
            "Modification simplifiée du plan local d'urbanisme",
        ),
    ),
    Theme(
        "environnement",
        (
            "{commune} plante {nombre} arbres le long de la Lirette",
            "Éclairage public : {commune} éteint la nuit pour économiser",
            "La qualité de l'eau de la Lirette surveillée",
            "Biodiversité : un inventaire participatif à {commune}",
        ),
        (
            "L'extinction nocturne de l'éclairage permet une économie d'un tiers de la facture.",
            "Les berges de la Lirette font l'objet d'un plan de restauration.",
            "Les naturalistes bénévoles ont recensé plusieurs espèces protégées.",
            "Le syndicat de rivière mène des travaux d'entretien de la ripisylve.",
        ),
        weight=1.0,
        proposals=("Éteindre l'éclairage public la nuit {rue}", "Planter des arbres {rue}"),
        deliberations=("Plan de gestion des berges de la Lirette",),
    ),
)

SEASONAL: tuple[Theme, ...] = (
    Theme(
        "noel",
        (
            "Le marché de Noël de {commune} ouvre ses chalets",
            "Illuminations de Noël : {commune} mise sur les LED",
            "Le père Noël attendu à {commune}",
        ),
        (
            "Une trentaine de chalets proposent artisanat et produits du terroir.",
            "Les illuminations seront allumées jusqu'au début du mois de janvier.",
            "La patinoire éphémère attire de nombreuses familles.",
        ),
        months=(12,),
    ),
    Theme(
        "festival",
        (
            "Le Festival des Lumières de la Lirette bat son plein",
            "{commune} se prépare au Festival des Lumières",
            "Festival des Lumières : une fréquentation en hausse",
        ),
        (
            "Le festival propose chaque soir des spectacles de son et lumière sur les quais.",
            "Les hébergeurs affichent complet pendant toute la durée du festival.",
            "Les bénévoles du festival sont mobilisés depuis plusieurs semaines.",
        ),
        months=(7,),
    ),
    Theme(
        "vendanges",
        (
            "Vendanges : les vignerons de {commune} satisfaits",
            "Début des vendanges dans le Val de Lirette",
            "La fête des vendanges anime {commune}",
        ),
        (
            "Le raisin est arrivé à maturité avec un bon degré de sucre.",
            "Les coopératives recrutent des saisonniers pour la récolte.",
            "Le millésime s'annonce prometteur selon les vignerons.",
        ),
        months=(9, 10),
    ),
    Theme(
        "rentree",
        (
            "Rentrée scolaire : {nombre} élèves de plus à {commune}",
            "C'est la rentrée à l'{ecole}",
            "Rentrée : une classe supplémentaire ouvre à {commune}",
        ),
        (
            "Les effectifs sont en légère hausse par rapport à l'an dernier.",
            "Les fournitures scolaires sont offertes par la commune aux élèves de primaire.",
            "La rentrée s'est déroulée dans le calme selon l'inspection académique.",
        ),
        months=(9,),
    ),
    Theme(
        "canicule",
        (
            "Canicule : {commune} déclenche son plan d'alerte",
            "Fortes chaleurs : les seniors de {commune} appelés par la mairie",
            "Canicule : les piscines de {commune} prises d'assaut",
        ),
        (
            "Le registre des personnes vulnérables permet d'appeler chaque jour les plus fragiles.",
            "Les températures ont dépassé 38 degrés l'après-midi.",
            "Les services municipaux ont adapté leurs horaires pour éviter les heures les plus chaudes.",
        ),
        months=(7, 8),
    ),
)


@dataclass(frozen=True)
class OneOff:
    """A burst of coverage around a date: many documents for a week or two, then nothing."""

    theme: Theme
    week: int
    weeks: int
    per_week: float


ONE_OFFS: tuple[OneOff, ...] = (
    OneOff(
        Theme(
            "incendie",
            (
                "Incendie à la Cartonnerie du Val à {commune}",
                "Cartonnerie du Val : l'activité à l'arrêt après l'incendie",
                "Après l'incendie de la Cartonnerie, les salariés inquiets",
            ),
            (
                "L'incendie a mobilisé une soixantaine de sapeurs-pompiers pendant toute la nuit.",
                "Un panache de fumée noire était visible à plusieurs kilomètres.",
                "Les salariés de la Cartonnerie du Val ont été placés en chômage partiel.",
            ),
        ),
        36,
        2,
        7.0,
    ),
    OneOff(
        Theme(
            "ministre",
            (
                "Visite ministérielle à {commune}",
                "La ministre de la Cohésion des territoires en visite dans le Val de Lirette",
            ),
            (
                "La ministre a visité le chantier de la future maison France Services.",
                "Les élus ont profité de la visite pour plaider la cause des communes rurales.",
            ),
        ),
        54,
        1,
        6.0,
    ),
    OneOff(
        Theme(
            "tempete",
            (
                "Tempête Hermine : arbres arrachés et toitures envolées à {commune}",
                "Tempête Hermine : des milliers de foyers privés d'électricité",
                "Après la tempête Hermine, {commune} fait le bilan des dégâts",
            ),
            (
                "Les rafales ont atteint 130 km/h dans la nuit.",
                "Les agents d'Enedis sont mobilisés pour rétablir le courant.",
                "De nombreux arbres sont tombés sur les routes départementales.",
            ),
        ),
        75,
        1,
        14.0,
    ),
    OneOff(
        Theme(
            "tour",
            (
                "Le Tour de France traverse {commune}",
                "Tour de France : {commune} en jaune pour le passage du peloton",
            ),
            (
                "Des milliers de spectateurs se sont massés le long du parcours.",
                "La caravane publicitaire a fait le bonheur des enfants.",
            ),
        ),
        84,
        1,
        8.0,
    ),
)


@dataclass(frozen=True)
class Planted:
    """A weak signal planted in the demo: rare at onset in one commune, then growing and spreading."""

    name: str
    theme: Theme
    onset_week: int
    origin: str  # commune slug
    start_rate: float  # expected press articles per week at onset
    growth: float  # weekly growth factor of the rate
    cap: float  # rate ceiling
    spread_every: int  # weeks between the arrival in a new commune
    patterns: tuple[str, ...]  # ground truth: case-insensitive regexes identifying its documents
    proposals_share: float = 0.3  # extra consultation proposals per press article
    extra: dict[str, str] = field(default_factory=dict)


PLANTED: tuple[Planted, ...] = (
    Planted(
        "meubles_de_tourisme",
        Theme(
            "meubles",
            (
                "Meublés de tourisme : les riverains de {commune} dénoncent les nuisances",
                "À {commune}, les locations de courte durée grignotent le parc de logements",
                "{commune} envisage d'encadrer les meublés de tourisme",
                "Locations saisonnières : {commune} réclame un numéro d'enregistrement",
            ),
            (
                "Des riverains se plaignent de valises à roulettes et de fêtes tardives dans des meublés de tourisme.",
                "Le nombre de logements proposés en location de courte durée a doublé en deux ans.",
                "Les propriétaires préfèrent la location de courte durée, plus rentable que le bail classique.",
                "La commune étudie un quota de meublés de tourisme dans le centre ancien.",
                "Les jeunes actifs peinent à trouver un logement à l'année à cause des meublés de tourisme.",
            ),
            proposals=(
                "Limiter les meublés de tourisme dans le centre de {commune}",
                "Contrôler les locations de courte durée à {commune}",
            ),
            deliberations=(
                "Instauration d'un numéro d'enregistrement des meublés de tourisme",
                "Règlement de changement d'usage des locaux d'habitation en meublés de tourisme",
            ),
        ),
        onset_week=62,
        origin="pradelles-les-vignes",
        start_rate=0.7,
        growth=1.07,
        cap=4.0,
        spread_every=5,
        patterns=(r"meublés? de tourisme", r"locations? de courte durée", r"locations? saisonnières?"),
    ),
    Planted(
        "cours_oasis",
        Theme(
            "oasis",
            (
                "À {commune}, l'{ecole} teste une cour oasis",
                "Les parents de {commune} demandent une cour oasis pour l'{ecole}",
                "Cour oasis : {commune} désimperméabilise la cour de l'{ecole}",
                "Cour oasis : les élèves de {commune} plantent leurs premiers arbres",
            ),
            (
                "Le bitume de la cour sera remplacé par de la terre, des copeaux et des arbres pour créer un îlot de fraîcheur.",
                "Lors des fortes chaleurs, le sol de la cour d'école a dépassé cinquante degrés.",
                "La désimperméabilisation de la cour permettra aussi d'infiltrer l'eau de pluie.",
                "Les élèves ont dessiné les plans de leur future cour oasis.",
                "L'agence de l'eau finance une partie de la végétalisation des cours d'école.",
            ),
            proposals=("Une cour oasis pour l'{ecole}", "Végétaliser les cours d'école de {commune}"),
            deliberations=(
                "Programme de végétalisation et de désimperméabilisation des cours d'école",
                "Demande de subvention pour la création d'une cour oasis",
            ),
        ),
        onset_week=70,
        origin="lirac-sur-lirette",
        start_rate=0.7,
        growth=1.10,
        cap=5.0,
        spread_every=4,
        patterns=(
            r"cours? oasis",
            r"îlots? de fraîcheur",
            r"désimperméabilis",
            r"cours? d'école végétalisée",
            r"végétalisation des cours",
        ),
    ),
    Planted(
        "punaises_de_lit",
        Theme(
            "punaises",
            (
                "Punaises de lit : un hôtel de {commune} ferme plusieurs chambres",
                "À {commune}, des familles démunies face aux punaises de lit",
                "Le {college} de {commune} traité contre les punaises de lit",
                "Punaises de lit : {commune} ouvre une permanence d'information",
            ),
            (
                "Les punaises de lit se cachent dans les matelas, les sommiers et les plinthes.",
                "Un traitement par la chaleur ou par le froid est nécessaire pour se débarrasser des punaises de lit.",
                "Le coût d'une désinsectisation peut dépasser mille euros pour une famille.",
                "Les bailleurs sociaux ont signalé plusieurs logements infestés par les punaises de lit.",
                "Un chien détecteur de punaises de lit a inspecté les chambres.",
            ),
            proposals=("Une aide contre les punaises de lit à {commune}",),
            deliberations=("Fonds d'aide aux ménages pour le traitement des punaises de lit",),
        ),
        onset_week=82,
        origin="saint-aubin-des-pres",
        start_rate=0.8,
        growth=1.16,
        cap=5.0,
        spread_every=3,
        patterns=(r"punaises? de lit",),
    ),
    Planted(
        "velos_cargos",
        Theme(
            "cargo",
            (
                "{commune} lance une aide à l'achat de vélos-cargos",
                "Les familles de {commune} adoptent le vélo-cargo pour aller à l'école",
                "Vélo-cargo : un service de location longue durée à {commune}",
                "Des livraisons en vélo-cargo dans le centre de {commune}",
            ),
            (
                "Le vélo-cargo permet de transporter deux passagers ou une trentaine de kilos de courses.",
                "L'aide à l'achat d'un vélo-cargo à assistance électrique peut atteindre cinq cents euros.",
                "Les commerçants testent la livraison du dernier kilomètre en vélo-cargo.",
                "Des arceaux adaptés aux vélos-cargos vont être installés devant les écoles.",
            ),
            proposals=("Des stationnements pour vélos-cargos à {commune}",),
            deliberations=("Aide à l'acquisition de vélos-cargos à assistance électrique",),
        ),
        onset_week=95,
        origin="beauvallon-sur-lirette",
        start_rate=1.0,
        growth=1.22,
        cap=5.0,
        spread_every=2,
        patterns=(r"vélos?-cargos?",),
    ),
)

# The tourism anomaly: July 2026, the camping of Pradelles-les-Vignes closed after a flood.
ANOMALY = {
    "series": "tourisme.nuitees",
    "commune": "pradelles-les-vignes",
    "month_index": 44,  # July 2026
    "factor": 0.45,
    "story": Theme(
        "crue",
        ("Crue de la Lirette : le camping de {commune} fermé tout l'été",),
        (
            "Après la crue, le camping municipal restera fermé jusqu'à la fin de la saison.",
            "Les hébergeurs craignent une saison touristique compromise.",
        ),
    ),
}

PROPOSAL_BODY: tuple[str, ...] = (
    "Je propose que la commune étudie cette idée avec les habitants du quartier.",
    "Ce serait un vrai plus pour les familles et les personnes âgées.",
    "Beaucoup de voisins partagent cet avis, nous en avons parlé lors de la fête de quartier.",
    "Il faudrait commencer par une expérimentation sur quelques mois.",
    "Cette proposition ne coûterait pas très cher et améliorerait le quotidien.",
)
# Contact details that some contributors leave in their text (the collectors must redact them).
CONTACTS: tuple[str, ...] = (
    "Pour en parler, écrivez-moi à {prenom}.{nom}@exemple.fr.",
    "Vous pouvez me joindre au 06 {a} {b} {c} {d}.",
)
FIRST_NAMES = (
    "Claire",
    "Julien",
    "Sophie",
    "Karim",
    "Nathalie",
    "Thomas",
    "Inès",
    "Michel",
    "Léa",
    "Patrick",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Moreau",
    "Laurent",
    "Garcia",
    "Roux",
    "Fontaine",
    "Mercier",
    "Blanc",
)
