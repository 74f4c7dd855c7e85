"""Generated French texts for embedding checks: a multi-theme corpus and paraphrase / unrelated pairs.

The corpus imitates local-government news (deliberations, press releases): every document mixes sentences
of one theme with boilerplate shared by all themes (communes, councils, dates), so a clustering has to use
the theme's meaning, not the presence of any text at all. Deterministic for a given seed.

>>> texts, themes = theme_corpus(n_docs=24, seed=1)
>>> len(texts), len(set(themes)), texts == theme_corpus(n_docs=24, seed=1)[0]
(24, 12, True)
"""

from __future__ import annotations

import random

COMMUNES = (
    "Villeurbanne",
    "Vénissieux",
    "Saint-Priest",
    "Bron",
    "Vaulx-en-Velin",
    "Caluire-et-Cuire",
    "Rillieux-la-Pape",
    "Oullins",
    "Décines-Charpieu",
    "Meyzieu",
    "Écully",
    "Givors",
    "Tassin-la-Demi-Lune",
    "Saint-Fons",
)

BOILERPLATE = (
    "Le conseil municipal de {commune} a examiné le dossier lors de sa séance du {day} {month}.",
    "La délibération a été adoptée à la majorité, l'opposition s'étant abstenue.",
    "Le maire de {commune} a présenté le projet aux habitants en réunion publique.",
    "Une concertation avec les riverains est prévue jusqu'à la fin du mois de {month}.",
    "La métropole participera au financement à hauteur d'un tiers du montant total.",
    "Les services techniques de {commune} suivront la mise en œuvre et en rendront compte.",
    "Le calendrier prévoit un premier bilan à l'automne prochain.",
)

TITLES = (
    "Ce qui change à {commune}.",
    "Conseil municipal de {commune}.",
    "{commune} : les décisions du mois.",
    "Actualité de {commune}.",
)

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

THEMES: dict[str, tuple[str, ...]] = {
    "mobilité": (
        "Une nouvelle piste cyclable sécurisée reliera {commune} au centre de la métropole.",
        "La fréquence des bus sera renforcée aux heures de pointe sur la ligne desservant la gare.",
        "Le prolongement du tramway doit réduire les embouteillages aux entrées de la ville.",
        "Des places de stationnement seront supprimées au profit d'arceaux à vélos.",
        "Le covoiturage domicile-travail sera encouragé par une aide de la collectivité.",
        "Les trottoirs seront élargis pour faciliter les déplacements des piétons et des poussettes.",
    ),
    "logement": (
        "Cent vingt logements sociaux seront construits sur l'ancienne friche industrielle de {commune}.",
        "Les loyers ont fortement augmenté et de nombreuses familles peinent à se loger.",
        "Un programme de rénovation des copropriétés dégradées accompagnera les propriétaires.",
        "La liste d'attente pour obtenir un HLM dépasse désormais trois ans.",
        "L'encadrement des loyers sera expérimenté dans plusieurs quartiers.",
        "Des logements vacants seront remis sur le marché grâce à une prime aux propriétaires.",
    ),
    "énergie": (
        "Des panneaux photovoltaïques seront installés sur les toits des gymnases municipaux.",
        "Le réseau de chaleur urbain alimenté par la biomasse sera étendu à {commune}.",
        "La facture d'électricité des bâtiments publics a doublé depuis l'an dernier.",
        "L'éclairage public sera éteint entre une heure et cinq heures du matin pour économiser l'énergie.",
        "Une chaufferie au bois remplacera les vieilles chaudières au fioul des écoles.",
        "Les habitants pourront investir dans une coopérative citoyenne de production solaire.",
    ),
    "eau": (
        "Les restrictions d'usage de l'eau ont été prolongées en raison de la sécheresse.",
        "Une fuite importante sur le réseau d'eau potable a privé plusieurs rues de robinet.",
        "La station d'épuration de {commune} sera modernisée pour mieux traiter les eaux usées.",
        "Le niveau de la nappe phréatique reste très bas malgré les pluies de printemps.",
        "Des récupérateurs d'eau de pluie seront distribués gratuitement aux jardiniers.",
        "Le prix du mètre cube d'eau augmentera pour financer le renouvellement des canalisations.",
    ),
    "santé": (
        "Une maison de santé accueillera des médecins généralistes dans le quartier nord de {commune}.",
        "Le départ à la retraite de trois médecins inquiète les patients du secteur.",
        "Les urgences de l'hôpital sont saturées et les délais d'attente s'allongent.",
        "Une campagne de vaccination gratuite sera organisée à la salle des fêtes.",
        "Le centre médico-psychologique manque de psychiatres pour suivre les enfants.",
        "Un bus de dépistage itinérant se rendra dans les villages éloignés des cabinets médicaux.",
    ),
    "éducation": (
        "Une nouvelle école élémentaire de douze classes ouvrira à la rentrée à {commune}.",
        "La cantine scolaire proposera un repas végétarien deux fois par semaine.",
        "Les enseignants dénoncent des classes surchargées au collège du centre.",
        "Le soutien scolaire gratuit aidera les élèves en difficulté après les cours.",
        "La cour de récréation sera végétalisée et dégoudronnée pendant les vacances.",
        "Des tablettes numériques seront prêtées aux collégiens pour les devoirs.",
    ),
    "canicule": (
        "Pendant la canicule, des îlots de fraîcheur ouvriront dans les parcs de {commune}.",
        "Les températures ont dépassé quarante degrés et le plan canicule a été déclenché.",
        "Des brumisateurs seront installés sur les places les plus exposées au soleil.",
        "Les personnes âgées isolées seront appelées chaque jour lors des fortes chaleurs.",
        "Cinq cents arbres seront plantés pour ombrager les rues et rafraîchir la ville.",
        "Les piscines municipales ouvriront plus tard le soir pendant la vague de chaleur.",
    ),
    "déchets": (
        "La collecte des biodéchets en porte-à-porte sera généralisée à {commune}.",
        "Des dépôts sauvages d'ordures ont été constatés à l'entrée de la zone d'activités.",
        "La déchetterie intercommunale étendra ses horaires d'ouverture le samedi.",
        "Des composteurs collectifs seront installés au pied des immeubles.",
        "La taxe d'enlèvement des ordures ménagères augmentera avec le coût du traitement.",
        "Le tri des emballages plastiques sera simplifié grâce à de nouvelles consignes.",
    ),
    "sécurité": (
        "Des caméras de vidéoprotection seront installées près de la gare de {commune}.",
        "Les effectifs de la police municipale passeront de dix à seize agents.",
        "Une série de cambriolages inquiète les habitants du lotissement.",
        "Des rodéos urbains troublent la tranquillité des riverains chaque soir.",
        "Les médiateurs de nuit patrouilleront dans les quartiers sensibles.",
        "Un couvre-feu pour les mineurs non accompagnés a été décidé par arrêté municipal.",
    ),
    "agriculture": (
        "Un marché de producteurs locaux se tiendra chaque samedi matin sur la place de {commune}.",
        "Des terres agricoles seront préservées de l'urbanisation dans le plan local d'urbanisme.",
        "Une ferme urbaine cultivera des légumes sur les toits d'un ancien parking.",
        "Les éleveurs du plateau s'inquiètent de la baisse du prix du lait.",
        "La cantine s'approvisionnera en circuit court auprès des maraîchers voisins.",
        "Des jardins partagés seront créés au cœur des quartiers d'habitat collectif.",
    ),
    "numérique": (
        "La fibre optique sera déployée dans tous les foyers de {commune} d'ici deux ans.",
        "Un espace France services aidera les habitants dans leurs démarches en ligne.",
        "Le site internet de la mairie permettra de réserver les salles municipales.",
        "Des conseillers numériques formeront les seniors à l'usage des smartphones.",
        "Une cyberattaque a paralysé les services informatiques de la mairie pendant une semaine.",
        "Les zones blanches de téléphonie mobile seront couvertes par de nouvelles antennes.",
    ),
    "culture": (
        "La médiathèque de {commune} ouvrira désormais le dimanche après-midi.",
        "Le festival de musique a attiré plus de vingt mille spectateurs cet été.",
        "Le théâtre municipal sera rénové et sa salle agrandie.",
        "Une exposition retrace l'histoire ouvrière de la ville à travers des photographies.",
        "Les nuitées touristiques ont progressé grâce aux visiteurs étrangers.",
        "Une fresque monumentale sera peinte sur la façade du centre culturel.",
    ),
}


def theme_corpus(
    n_docs: int = 1000, seed: int = 0, sentences: tuple[int, int] = (2, 3)
) -> tuple[list[str], list[str]]:
    """``n_docs`` texts cycling over the themes, and each text's theme.

    Each text has a theme title and ``sentences`` theme sentences interleaved with one or two boilerplate
    sentences; with the defaults texts hold about 80 to 130 e5 tokens.
    """
    rng = random.Random(seed)
    names = list(THEMES)
    texts, labels = [], []
    for i in range(n_docs):
        theme = names[i % len(names)]
        slots = {"commune": rng.choice(COMMUNES), "month": rng.choice(MONTHS), "day": rng.randint(2, 28)}
        body = rng.sample(THEMES[theme], rng.randint(*sentences))
        for filler in rng.sample(BOILERPLATE, rng.randint(1, 2)):
            body.insert(rng.randint(0, len(body)), filler)
        title = rng.choice(TITLES).format(**slots)
        texts.append(title + " " + " ".join(s.format(**slots) for s in body))
        labels.append(theme)
    return texts, labels


# The same fact said twice in other words, and pairs on different subjects in the same register.
PARAPHRASES: tuple[tuple[str, str], ...] = (
    (
        "La mairie va planter cinq cents arbres pour rafraîchir les rues pendant les canicules.",
        "Afin de lutter contre la chaleur estivale, la commune plantera 500 arbres dans ses rues.",
    ),
    (
        "Le prix de l'eau potable augmentera l'an prochain pour financer les travaux sur les canalisations.",
        "Les tuyaux du réseau d'eau seront rénovés, ce qui fera monter la facture d'eau l'année prochaine.",
    ),
    (
        "Une nouvelle ligne de bus reliera le quartier de la gare à l'hôpital.",
        "L'hôpital sera desservi depuis la gare par une ligne d'autobus supplémentaire.",
    ),
    (
        "Les médecins généralistes manquent et les patients attendent des semaines pour un rendez-vous.",
        "Faute de généralistes en nombre suffisant, obtenir une consultation prend plusieurs semaines.",
    ),
    (
        "La collecte des déchets alimentaires sera organisée dans tous les immeubles de la ville.",
        "Les restes de repas seront ramassés séparément dans l'ensemble des résidences de la commune.",
    ),
    (
        "Le conseil municipal a voté la construction d'une école de douze classes.",
        "Les élus ont approuvé le projet d'un groupe scolaire comptant douze salles de classe.",
    ),
)

UNRELATED: tuple[tuple[str, str], ...] = (
    (
        "La mairie va planter cinq cents arbres pour rafraîchir les rues pendant les canicules.",
        "Le conseil municipal a voté la construction d'une école de douze classes.",
    ),
    (
        "Le prix de l'eau potable augmentera l'an prochain pour financer les travaux sur les canalisations.",
        "Une nouvelle ligne de bus reliera le quartier de la gare à l'hôpital.",
    ),
    (
        "Les médecins généralistes manquent et les patients attendent des semaines pour un rendez-vous.",
        "La fibre optique sera installée dans tous les logements d'ici deux ans.",
    ),
    (
        "La collecte des déchets alimentaires sera organisée dans tous les immeubles de la ville.",
        "Le festival de musique a attiré vingt mille spectateurs cet été.",
    ),
    (
        "Des caméras de surveillance seront posées près de la gare.",
        "Les éleveurs s'inquiètent de la baisse du prix du lait.",
    ),
    (
        "Une cyberattaque a bloqué l'informatique de la mairie pendant une semaine.",
        "La piscine municipale ouvrira plus tard le soir pendant l'été.",
    ),
)
