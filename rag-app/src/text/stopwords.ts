// English function words plus the filler of spoken transcripts ("um", "gonna", "like").
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are arent as at be because been before being below
between both but by can cant could couldnt did didnt do does doesnt doing dont down during each few for from
further had hadnt has hasnt have havent having he hed hell hes her here heres hers herself him himself his how
hows i id ill im ive if in into is isnt it its itself lets me more most mustnt my myself no nor not of off on
once only or other ought our ours ourselves out over own same shant she shed shell shes should shouldnt so some
such than that thats the their theirs them themselves then there theres these they theyd theyll theyre theyve
this those through to too under until up very was wasnt we wed well were weve werent what whats when whens where
wheres which while who whos whom why whys with wont would wouldnt you youd youll youre youve your yours yourself
yourselves um uh uhm gonna wanna gotta yeah okay ok oh just really like kind sort actually basically literally
thing things going get got lot lots know mean right so now here go also pretty much way cuz cause
does did doing done make makes made use used using want wants can will shall may might must one
stuff even still many us via per ll ve re cannot couldn didn doesn don hadn hasn haven isn wasn weren wouldn aren shouldn won`
    .split(/\s+/)
    .filter(Boolean),
);
