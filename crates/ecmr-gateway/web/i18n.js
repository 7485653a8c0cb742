// The words of the inspector app and the driver view in English, Dutch, French and German. The labels of the 24
// boxes of the paper form are not here: the gateway serves them (`/inspect/labels/{lang}.json`, the same words
// as `ecmr render`). The chosen language is the only thing kept in the browser (localStorage "ecmr.lang").

export const LANGS = ["en", "nl", "fr", "de"];

const WORDS = {
  en: {
    app: "Roadside inspection", language: "Language", signIn: "Sign in", signOut: "Sign out",
    tokenLabel: "Authority access token", tokenHelp: "The token is exchanged for a session cookie; the page does not keep it.",
    signedInAs: "Signed in as", entitled: "Entitled to", find: "Find a consignment note",
    uilLabel: "UIL or QR text", uilHelp: "gate/platform/dataset, or the link or text of the QR code", open: "Open",
    scan: "Scan QR code", scanStop: "Stop camera", photo: "Photo of a QR code", noCamera: "This browser cannot read QR codes from the camera; upload a photo or type the UIL.",
    noQrFound: "No QR code found in the picture.",
    search: "Search by identifier", identifier: "Plate or equipment id", country: "Registration country", mode: "Transport mode", anyMode: "any",
    road: "road (3)", rail: "rail (2)", sea: "sea (1)", inland: "inland waterway (8)", air: "air (4)",
    dangerous: "Dangerous goods", dgAny: "either", dgYes: "with", dgNo: "without", searchBtn: "Search",
    results: "Results", noResults: "Nothing found.", identityWarning: "Identity not confirmed by the gateway", number: "Note", sender: "Sender", carrier: "Carrier", stateWord: "State", gate: "Gate", vehicle: "Vehicle",
    back: "Back", note: "Consignment note", subsetsShown: "Subsets shown", notProvided: "not in the subsets you may read",
    events: "Events", kind: "Event", role: "Role", signer: "Signer", time: "Time", place: "Place", reservations: "Reservations",
    verification: "Verification", verifiedHere: "Signatures checked in this browser against the gateway key",
    verifiedByGateway: "Only subsets may be read: the signatures were checked by the gateway, not by this browser.",
    cannotCheck: "This browser cannot check Ed25519 signatures: cannot check here. Nothing below is marked as verified.",
    allGood: "Every event verifies: signature, hash chain, note digest and gateway receipt.",
    notGood: "The document does NOT verify. See the events marked ✘.",
    gatewayKey: "Gateway key", receipt: "Gateway receipt", receivedAt: "received", postedBy: "posted by",
    qrMatch: "The QR code matches the document as it stands.", qrMoved: "The document has changed since the paper was printed (QR shows event {seq}, the document is at {last}).",
    qrMismatch: "MISMATCH: the QR code's digest does not match event {seq} of this document.", qrNoEvent: "MISMATCH: the document has no event {seq}.",
    followUps: "Follow-up", followUpHelp: "A message to the parties of this consignment (at most 255 characters).", send: "Send", sent: "Sent.",
    error: "Error", signedOut: "Signed out.", loading: "Loading…", attested: "attested", notAttested: "not attested",
    driverTitle: "Consignment note — driver view", driverHelp: "Show this screen, or let the inspector scan the QR code.", validUntil: "This link works until",
    linkGone: "This link does not work: it was revoked, has expired or never existed.",
    failures: { bad_signature: "the signature does not match the event", non_canonical_signature: "the signature is not in canonical form", bad_key: "the signer key is not a valid key", weak_key: "the signer key is a weak key", broken_prev: "the chain to the previous event is broken", wrong_note_digest: "the note does not match its digest", seq_gap: "an event is missing before this one", seq_repeat: "an event is repeated", wrong_document_id: "the event belongs to another document", key_not_pinned: "signed by a key the note does not allow for this role", key_changed: "signed by another key than before for this role", key_reused_across_roles: "one key signs for two roles", disallowed_transition: "this step is not allowed at this point", invalid_event_data: "the event's details are incomplete", forbidden_amendment: "the amendment changes what may not change", invalid_note: "the note is incomplete", no_receipt: "the gateway gave no receipt for it", receipt: "gateway receipt" },
    states: { issued: "issued", cancelled: "cancelled", in_transit: "in transit", delivered: "delivered", refused: "delivery refused" },
    kinds: { issued: "Issued", cancelled: "Cancelled", taken_over: "Taken over", reservations_accepted: "Reservations accepted", amended: "Amended", handed_over: "Handed over", delivered: "Delivered", delivery_refused: "Delivery refused" },
    roles: { sender: "sender", carrier: "carrier", successive_carrier: "successive carrier", consignee: "consignee" },
  },
  nl: {
    app: "Controle langs de weg", language: "Taal", signIn: "Aanmelden", signOut: "Afmelden",
    tokenLabel: "Toegangstoken van de autoriteit", tokenHelp: "Het token wordt ingewisseld voor een sessie; de pagina bewaart het niet.",
    signedInAs: "Aangemeld als", entitled: "Gerechtigd tot", find: "Vrachtbrief zoeken",
    uilLabel: "UIL of QR-tekst", uilHelp: "gate/platform/dataset, of de link of tekst van de QR-code", open: "Openen",
    scan: "QR-code scannen", scanStop: "Camera stoppen", photo: "Foto van een QR-code", noCamera: "Deze browser kan geen QR-codes met de camera lezen; upload een foto of typ de UIL.",
    noQrFound: "Geen QR-code gevonden op de afbeelding.",
    search: "Zoeken op kenmerk", identifier: "Kenteken of id van de uitrusting", country: "Land van registratie", mode: "Vervoerswijze", anyMode: "alle",
    road: "weg (3)", rail: "spoor (2)", sea: "zee (1)", inland: "binnenvaart (8)", air: "lucht (4)",
    dangerous: "Gevaarlijke goederen", dgAny: "maakt niet uit", dgYes: "met", dgNo: "zonder", searchBtn: "Zoeken",
    results: "Resultaten", noResults: "Niets gevonden.", identityWarning: "Identiteit niet bevestigd door de gateway", number: "Vrachtbrief", sender: "Afzender", carrier: "Vervoerder", stateWord: "Status", gate: "Gate", vehicle: "Voertuig",
    back: "Terug", note: "Vrachtbrief", subsetsShown: "Getoonde subsets", notProvided: "niet in de subsets die u mag lezen",
    events: "Gebeurtenissen", kind: "Gebeurtenis", role: "Rol", signer: "Ondertekenaar", time: "Tijd", place: "Plaats", reservations: "Voorbehoud",
    verification: "Verificatie", verifiedHere: "Handtekeningen in deze browser gecontroleerd tegen de sleutel van de gateway",
    verifiedByGateway: "Alleen subsets mogen worden gelezen: de handtekeningen zijn door de gateway gecontroleerd, niet door deze browser.",
    cannotCheck: "Deze browser kan geen Ed25519-handtekeningen controleren: hier niet te controleren. Niets hieronder is als geverifieerd gemarkeerd.",
    allGood: "Elke gebeurtenis klopt: handtekening, hashketen, digest van de vrachtbrief en ontvangstbewijs van de gateway.",
    notGood: "Het document klopt NIET. Zie de gebeurtenissen met ✘.",
    gatewayKey: "Sleutel van de gateway", receipt: "Ontvangstbewijs", receivedAt: "ontvangen", postedBy: "ingediend door",
    qrMatch: "De QR-code komt overeen met het document zoals het nu is.", qrMoved: "Het document is gewijzigd sinds het papier werd afgedrukt (QR toont gebeurtenis {seq}, het document is bij {last}).",
    qrMismatch: "AFWIJKING: de digest in de QR-code komt niet overeen met gebeurtenis {seq} van dit document.", qrNoEvent: "AFWIJKING: het document heeft geen gebeurtenis {seq}.",
    followUps: "Opvolging", followUpHelp: "Een bericht aan de partijen van deze zending (hoogstens 255 tekens).", send: "Versturen", sent: "Verstuurd.",
    error: "Fout", signedOut: "Afgemeld.", loading: "Laden…", attested: "bevestigd", notAttested: "niet bevestigd",
    driverTitle: "Vrachtbrief — weergave voor de chauffeur", driverHelp: "Toon dit scherm, of laat de controleur de QR-code scannen.", validUntil: "Deze link werkt tot",
    linkGone: "Deze link werkt niet: hij is ingetrokken, verlopen of heeft nooit bestaan.",
    failures: { bad_signature: "de handtekening past niet bij de gebeurtenis", non_canonical_signature: "de handtekening is niet in canonieke vorm", bad_key: "de sleutel van de ondertekenaar is ongeldig", weak_key: "de sleutel van de ondertekenaar is zwak", broken_prev: "de keten naar de vorige gebeurtenis is verbroken", wrong_note_digest: "de vrachtbrief past niet bij zijn digest", seq_gap: "er ontbreekt een gebeurtenis hiervoor", seq_repeat: "een gebeurtenis komt dubbel voor", wrong_document_id: "de gebeurtenis hoort bij een ander document", key_not_pinned: "ondertekend met een sleutel die de vrachtbrief voor deze rol niet toestaat", key_changed: "ondertekend met een andere sleutel dan eerder voor deze rol", key_reused_across_roles: "één sleutel tekent voor twee rollen", disallowed_transition: "deze stap is op dit moment niet toegestaan", invalid_event_data: "de gegevens van de gebeurtenis zijn onvolledig", forbidden_amendment: "de wijziging raakt wat niet mag veranderen", invalid_note: "de vrachtbrief is onvolledig", no_receipt: "de gateway gaf er geen ontvangstbewijs voor", receipt: "ontvangstbewijs" },
    states: { issued: "uitgegeven", cancelled: "geannuleerd", in_transit: "onderweg", delivered: "afgeleverd", refused: "aflevering geweigerd" },
    kinds: { issued: "Uitgegeven", cancelled: "Geannuleerd", taken_over: "In ontvangst genomen", reservations_accepted: "Voorbehoud aanvaard", amended: "Gewijzigd", handed_over: "Overgedragen", delivered: "Afgeleverd", delivery_refused: "Aflevering geweigerd" },
    roles: { sender: "afzender", carrier: "vervoerder", successive_carrier: "opvolgende vervoerder", consignee: "geadresseerde" },
  },
  fr: {
    app: "Contrôle routier", language: "Langue", signIn: "Se connecter", signOut: "Se déconnecter",
    tokenLabel: "Jeton d'accès de l'autorité", tokenHelp: "Le jeton est échangé contre une session ; la page ne le conserve pas.",
    signedInAs: "Connecté en tant que", entitled: "Autorisé pour", find: "Trouver une lettre de voiture",
    uilLabel: "UIL ou texte du QR", uilHelp: "passerelle/plateforme/jeu de données, ou le lien ou texte du code QR", open: "Ouvrir",
    scan: "Scanner le code QR", scanStop: "Arrêter la caméra", photo: "Photo d'un code QR", noCamera: "Ce navigateur ne lit pas les codes QR avec la caméra ; envoyez une photo ou saisissez l'UIL.",
    noQrFound: "Aucun code QR trouvé sur l'image.",
    search: "Rechercher par identifiant", identifier: "Immatriculation ou id de l'équipement", country: "Pays d'immatriculation", mode: "Mode de transport", anyMode: "tous",
    road: "route (3)", rail: "rail (2)", sea: "mer (1)", inland: "voie navigable (8)", air: "air (4)",
    dangerous: "Marchandises dangereuses", dgAny: "indifférent", dgYes: "avec", dgNo: "sans", searchBtn: "Rechercher",
    results: "Résultats", noResults: "Rien trouvé.", identityWarning: "Identité non confirmée par la passerelle", number: "Lettre", sender: "Expéditeur", carrier: "Transporteur", stateWord: "État", gate: "Passerelle", vehicle: "Véhicule",
    back: "Retour", note: "Lettre de voiture", subsetsShown: "Sous-ensembles affichés", notProvided: "hors des sous-ensembles que vous pouvez lire",
    events: "Événements", kind: "Événement", role: "Rôle", signer: "Signataire", time: "Heure", place: "Lieu", reservations: "Réserves",
    verification: "Vérification", verifiedHere: "Signatures vérifiées dans ce navigateur avec la clé de la passerelle",
    verifiedByGateway: "Seuls des sous-ensembles peuvent être lus : les signatures ont été vérifiées par la passerelle, pas par ce navigateur.",
    cannotCheck: "Ce navigateur ne sait pas vérifier les signatures Ed25519 : vérification impossible ici. Rien ci-dessous n'est marqué comme vérifié.",
    allGood: "Chaque événement est vérifié : signature, chaîne de hachage, condensé de la lettre et accusé de réception de la passerelle.",
    notGood: "Le document n'est PAS vérifié. Voir les événements marqués ✘.",
    gatewayKey: "Clé de la passerelle", receipt: "Accusé de réception", receivedAt: "reçu", postedBy: "déposé par",
    qrMatch: "Le code QR correspond au document tel qu'il est.", qrMoved: "Le document a changé depuis l'impression (le QR montre l'événement {seq}, le document en est à {last}).",
    qrMismatch: "DISCORDANCE : le condensé du code QR ne correspond pas à l'événement {seq} de ce document.", qrNoEvent: "DISCORDANCE : le document n'a pas d'événement {seq}.",
    followUps: "Suivi", followUpHelp: "Un message aux parties de cet envoi (255 caractères au plus).", send: "Envoyer", sent: "Envoyé.",
    error: "Erreur", signedOut: "Déconnecté.", loading: "Chargement…", attested: "attesté", notAttested: "non attesté",
    driverTitle: "Lettre de voiture — vue du conducteur", driverHelp: "Montrez cet écran, ou laissez le contrôleur scanner le code QR.", validUntil: "Ce lien fonctionne jusqu'au",
    linkGone: "Ce lien ne fonctionne pas : il a été révoqué, a expiré ou n'a jamais existé.",
    failures: { bad_signature: "la signature ne correspond pas à l'événement", non_canonical_signature: "la signature n'est pas sous forme canonique", bad_key: "la clé du signataire n'est pas valide", weak_key: "la clé du signataire est faible", broken_prev: "la chaîne vers l'événement précédent est rompue", wrong_note_digest: "la lettre ne correspond pas à son condensé", seq_gap: "un événement manque avant celui-ci", seq_repeat: "un événement est répété", wrong_document_id: "l'événement appartient à un autre document", key_not_pinned: "signé avec une clé que la lettre n'autorise pas pour ce rôle", key_changed: "signé avec une autre clé qu'auparavant pour ce rôle", key_reused_across_roles: "une même clé signe pour deux rôles", disallowed_transition: "cette étape n'est pas permise à ce moment", invalid_event_data: "les données de l'événement sont incomplètes", forbidden_amendment: "la modification touche ce qui ne peut changer", invalid_note: "la lettre est incomplète", no_receipt: "la passerelle n'en a pas donné d'accusé", receipt: "accusé de réception" },
    states: { issued: "émise", cancelled: "annulée", in_transit: "en cours de transport", delivered: "livrée", refused: "livraison refusée" },
    kinds: { issued: "Émise", cancelled: "Annulée", taken_over: "Prise en charge", reservations_accepted: "Réserves acceptées", amended: "Modifiée", handed_over: "Remise au transporteur successif", delivered: "Livrée", delivery_refused: "Livraison refusée" },
    roles: { sender: "expéditeur", carrier: "transporteur", successive_carrier: "transporteur successif", consignee: "destinataire" },
  },
  de: {
    app: "Straßenkontrolle", language: "Sprache", signIn: "Anmelden", signOut: "Abmelden",
    tokenLabel: "Zugangstoken der Behörde", tokenHelp: "Das Token wird gegen eine Sitzung getauscht; die Seite speichert es nicht.",
    signedInAs: "Angemeldet als", entitled: "Berechtigt für", find: "Frachtbrief finden",
    uilLabel: "UIL oder QR-Text", uilHelp: "Gate/Plattform/Datensatz, oder der Link oder Text des QR-Codes", open: "Öffnen",
    scan: "QR-Code scannen", scanStop: "Kamera stoppen", photo: "Foto eines QR-Codes", noCamera: "Dieser Browser kann keine QR-Codes mit der Kamera lesen; laden Sie ein Foto hoch oder geben Sie die UIL ein.",
    noQrFound: "Kein QR-Code im Bild gefunden.",
    search: "Nach Kennzeichen suchen", identifier: "Kennzeichen oder Ausrüstungs-ID", country: "Zulassungsland", mode: "Verkehrsträger", anyMode: "alle",
    road: "Straße (3)", rail: "Schiene (2)", sea: "See (1)", inland: "Binnenschiff (8)", air: "Luft (4)",
    dangerous: "Gefahrgut", dgAny: "egal", dgYes: "mit", dgNo: "ohne", searchBtn: "Suchen",
    results: "Ergebnisse", noResults: "Nichts gefunden.", identityWarning: "Identität vom Gateway nicht bestätigt", number: "Frachtbrief", sender: "Absender", carrier: "Frachtführer", stateWord: "Status", gate: "Gate", vehicle: "Fahrzeug",
    back: "Zurück", note: "Frachtbrief", subsetsShown: "Angezeigte Teilmengen", notProvided: "nicht in den Teilmengen, die Sie lesen dürfen",
    events: "Ereignisse", kind: "Ereignis", role: "Rolle", signer: "Unterzeichner", time: "Zeit", place: "Ort", reservations: "Vorbehalte",
    verification: "Prüfung", verifiedHere: "Signaturen in diesem Browser mit dem Schlüssel des Gateways geprüft",
    verifiedByGateway: "Nur Teilmengen dürfen gelesen werden: die Signaturen hat das Gateway geprüft, nicht dieser Browser.",
    cannotCheck: "Dieser Browser kann Ed25519-Signaturen nicht prüfen: hier nicht prüfbar. Nichts unten ist als geprüft markiert.",
    allGood: "Jedes Ereignis ist gültig: Signatur, Hash-Kette, Frachtbrief-Hashwert und Empfangsbestätigung des Gateways.",
    notGood: "Das Dokument ist NICHT gültig. Siehe die mit ✘ markierten Ereignisse.",
    gatewayKey: "Schlüssel des Gateways", receipt: "Empfangsbestätigung", receivedAt: "empfangen", postedBy: "eingereicht von",
    qrMatch: "Der QR-Code passt zum aktuellen Dokument.", qrMoved: "Das Dokument hat sich seit dem Druck geändert (QR zeigt Ereignis {seq}, das Dokument ist bei {last}).",
    qrMismatch: "ABWEICHUNG: der Hashwert im QR-Code passt nicht zu Ereignis {seq} dieses Dokuments.", qrNoEvent: "ABWEICHUNG: das Dokument hat kein Ereignis {seq}.",
    followUps: "Rückfrage", followUpHelp: "Eine Nachricht an die Beteiligten dieser Sendung (höchstens 255 Zeichen).", send: "Senden", sent: "Gesendet.",
    error: "Fehler", signedOut: "Abgemeldet.", loading: "Laden…", attested: "bestätigt", notAttested: "nicht bestätigt",
    driverTitle: "Frachtbrief — Ansicht für den Fahrer", driverHelp: "Zeigen Sie diesen Bildschirm, oder lassen Sie den Kontrolleur den QR-Code scannen.", validUntil: "Dieser Link gilt bis",
    linkGone: "Dieser Link funktioniert nicht: er wurde widerrufen, ist abgelaufen oder hat nie existiert.",
    failures: { bad_signature: "die Signatur passt nicht zum Ereignis", non_canonical_signature: "die Signatur ist nicht in kanonischer Form", bad_key: "der Schlüssel des Unterzeichners ist ungültig", weak_key: "der Schlüssel des Unterzeichners ist schwach", broken_prev: "die Kette zum vorigen Ereignis ist unterbrochen", wrong_note_digest: "der Frachtbrief passt nicht zu seinem Hashwert", seq_gap: "vor diesem Ereignis fehlt eines", seq_repeat: "ein Ereignis ist doppelt", wrong_document_id: "das Ereignis gehört zu einem anderen Dokument", key_not_pinned: "mit einem Schlüssel signiert, den der Frachtbrief für diese Rolle nicht zulässt", key_changed: "mit einem anderen Schlüssel als zuvor für diese Rolle signiert", key_reused_across_roles: "ein Schlüssel signiert für zwei Rollen", disallowed_transition: "dieser Schritt ist jetzt nicht erlaubt", invalid_event_data: "die Angaben des Ereignisses sind unvollständig", forbidden_amendment: "die Änderung betrifft, was nicht geändert werden darf", invalid_note: "der Frachtbrief ist unvollständig", no_receipt: "das Gateway hat keine Empfangsbestätigung dafür", receipt: "Empfangsbestätigung" },
    states: { issued: "ausgestellt", cancelled: "storniert", in_transit: "unterwegs", delivered: "abgeliefert", refused: "Annahme verweigert" },
    kinds: { issued: "Ausgestellt", cancelled: "Storniert", taken_over: "Übernommen", reservations_accepted: "Vorbehalte angenommen", amended: "Geändert", handed_over: "Übergeben", delivered: "Abgeliefert", delivery_refused: "Annahme verweigert" },
    roles: { sender: "Absender", carrier: "Frachtführer", successive_carrier: "nachfolgender Frachtführer", consignee: "Empfänger" },
  },
};

/** The language chosen before, or the browser's, or English. */
export function chosenLanguage() {
  const kept = localStorage.getItem("ecmr.lang");
  if (LANGS.includes(kept)) return kept;
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGS.includes(browser) ? browser : "en";
}

/** Remembers the language (and nothing else). */
export function keepLanguage(lang) {
  if (LANGS.includes(lang)) localStorage.setItem("ecmr.lang", lang);
}

/** The words of a language. */
export function words(lang) {
  return WORDS[lang] ?? WORDS.en;
}

/** A verification failure in words: "receipt: …" and codes the table has, else the code itself. */
export function failureText(lang, code) {
  const f = words(lang).failures;
  if (code.startsWith("receipt: ")) return `${f.receipt}: ${code.slice(9)}`;
  return f[code] ? `${f[code]} (${code})` : code;
}

/** The locale dates are written in: British English for English (day before month, 24 hours). */
export function locale(lang) {
  return lang === "en" ? "en-GB" : lang;
}

/** Fills `{name}` placeholders. */
export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

/** Sets the text of every element with `data-t="key"` on the page. */
export function translatePage(lang) {
  const w = words(lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) {
    const text = w[el.dataset.t];
    if (typeof text === "string") el.textContent = text;
  }
}
